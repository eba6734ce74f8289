import { z } from 'zod';
import { type ConfigError, describeValue, didYouMean, type InputError } from '../errors.js';
import { firstIssue } from '../validation.js';

/** A value as an error message shows it: numbers as written (NaN and Infinity by name; describeValue shows NaN as "number null"), strings quoted, a Date by its ISO form. */
export function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : value.toISOString();
  return describeValue(value);
}

/** What {@link parseOrThrow} reports a failure as. */
export interface ParseContext {
  /** Leads the message, e.g. "invalid working memory option". */
  what: string;
  /** The fix for a bad value. */
  hint: string;
  /** The error class to throw: ConfigError for options, InputError for call inputs. */
  error: typeof ConfigError | typeof InputError;
  /** Known keys by the dotted path of the object holding them ('' for the root), for "did you mean". */
  known: Readonly<Record<string, readonly string[]>>;
}

/**
 * Parses `input` with a strict schema, or throws naming the key, the value and the fix; an
 * unknown key (a misspelt option) is reported with the closest known key.
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, context: ParseContext): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(input, parsed.error);
  if (issue.unknownKey) {
    const parts = issue.key.split('.');
    const name = parts.pop()!;
    const known = context.known[parts.join('.')] ?? [];
    throw new context.error(`${context.what}: ${issue.key} is not a known key (got ${shown(issue.value)})`, known.length > 0 ? didYouMean(name, known) : 'remove it');
  }
  throw new context.error(`${context.what}: ${issue.key} = ${shown(issue.value)} ${issue.problem}`, context.hint);
}

/** A user id as the memory classes take it: a string that is not blank. */
export const userIdSchema = z.string('must be a user id (a string)').refine((id) => id.trim() !== '', 'must not be empty or blank');
