import type { ToolCall } from '../messages.js';
import { canonicalJson } from '../text/canonical-json.js';

/** How a model's next action compares with the recorded one; every field is 0..1. */
export interface ActionMatch {
  /** 1 when the model called the recorded tool. */
  tool: number;
  /** 1 when it called the recorded tool with exactly the recorded arguments (same keys, equal values). */
  exact: number;
  /** Share of the recorded arguments whose value the model's call has, equal (0 for another tool). */
  arguments: number;
}

const NO_MATCH: ActionMatch = { tool: 0, exact: 0, arguments: 0 };

/**
 * Compares the model's tool calls with the recorded next action (its first tool call). The model's
 * call of the same tool is compared when there is one (parallel calls come in any order), else its
 * first call. Argument values are equal when their JSON values are deeply equal: `"3"` is not `3`,
 * key order does not matter. Arguments that are not a JSON object count as one value.
 */
export function matchAction(predicted: readonly ToolCall[] | undefined, recorded: ToolCall): ActionMatch {
  const call = predicted?.find((c) => c.function.name === recorded.function.name) ?? predicted?.[0];
  if (!call || call.function.name !== recorded.function.name) return NO_MATCH;
  const expected = parseArguments(recorded.function.arguments);
  const actual = parseArguments(call.function.arguments);
  if (expected === MALFORMED) {
    const same = recorded.function.arguments.trim() === call.function.arguments.trim() ? 1 : 0;
    return { tool: 1, exact: same, arguments: same };
  }
  if (actual === MALFORMED) return { tool: 1, exact: 0, arguments: 0 };
  const exact = canonicalJson(expected) === canonicalJson(actual) ? 1 : 0;
  if (!isObject(expected)) return { tool: 1, exact, arguments: exact };
  const keys = Object.keys(expected);
  if (keys.length === 0) return { tool: 1, exact, arguments: exact };
  const matched = keys.filter((key) => isObject(actual) && Object.hasOwn(actual, key) && canonicalJson(expected[key]) === canonicalJson(actual[key])).length;
  return { tool: 1, exact, arguments: matched / keys.length };
}

const MALFORMED = Symbol('malformed arguments');

/** Parsed arguments; an empty string is `{}` (no arguments), unparseable JSON is MALFORMED. */
function parseArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return MALFORMED;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
