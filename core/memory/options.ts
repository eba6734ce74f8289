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

/**
 * Why a text cannot be stored as it is in every store, or undefined: a NUL, which PostgreSQL text
 * cannot hold, or half of a character (an unpaired surrogate, e.g. an emoji cut in two), which
 * its UTF-8 encoding turns into U+FFFD, so two different texts would be stored as one.
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\0')) return `holds a NUL character (\\u0000) at position ${text.indexOf('\0')}, which PostgreSQL text cannot hold`;
  // With the u flag a surrogate pair is one code point: this finds only a half.
  const half = /[\uD800-\uDFFF]/u.exec(text);
  if (half) return `holds half of a character at position ${half.index} (an unpaired surrogate, as when an emoji is cut in two), which PostgreSQL would store as U+FFFD`;
  return undefined;
}

/** Longest user id: PostgreSQL's B-tree index on the user holds at most ~2,700 bytes an entry. */
export const USER_ID_MAX_CHARS = 512;

/** A user id as the memory classes take it: a string that is not blank, at most {@link USER_ID_MAX_CHARS} characters, whole characters only. */
export const userIdSchema = z
  .string('must be a user id (a string)')
  .refine((id) => id.trim() !== '', 'must not be empty or blank')
  .refine((id) => id.length <= USER_ID_MAX_CHARS, `must be at most ${USER_ID_MAX_CHARS} characters`)
  .superRefine((id, context) => {
    const problem = textProblem(id);
    // Two ids that differ only in such a character would be one user in PostgreSQL: refused, never mended.
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

/**
 * Text as every store keeps it: half a character (an unpaired surrogate, as when an emoji is cut
 * in two) and NUL become U+FFFD, as PostgreSQL's UTF-8 would store the first and cannot store the
 * second. For content and metadata text; a user id with either is refused instead ({@link userIdSchema}).
 */
export function wellFormedText(text: string): string {
  return text.replace(/[\uD800-\uDFFF]|\0/gu, '\uFFFD');
}

/**
 * Where `value` is not JSON data that every store keeps alike (PostgreSQL's jsonb turned NaN into
 * null and a Set into {}), as [path, problem]; undefined when it is. As in JSON, an undefined
 * value is left out (null in an array) and a Date is its ISO string.
 */
export function jsonProblem(value: unknown, path: string, within: ReadonlySet<object> = new Set()): [string, string] | undefined {
  if (value === null || value === undefined || typeof value === 'boolean' || typeof value === 'string' || value instanceof Date) {
    return value instanceof Date && Number.isNaN(value.getTime()) ? [path, 'must be a valid Date'] : undefined;
  }
  if (typeof value === 'object' && within.has(value)) return [path, 'refers back to an object that holds it (JSON cannot hold a cycle)'];
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : [path, 'must be a finite number'];
  if (Array.isArray(value)) {
    const inside = new Set(within).add(value);
    for (let i = 0; i < value.length; i++) {
      const found = jsonProblem(value[i], `${path}[${i}]`, inside);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const inside = new Set(within).add(value);
    for (const [key, child] of Object.entries(value)) {
      const found = jsonProblem(child, `${path}.${key}`, inside);
      if (found) return found;
    }
    return undefined;
  }
  const kind = typeof value === 'object' ? `a ${value.constructor?.name ?? 'non-plain object'}` : `a ${typeof value}`;
  return [path, `must be JSON data (a string, finite number, boolean, null, array, plain object or Date), not ${kind}`];
}

/** A JSON copy of checked metadata ({@link jsonProblem}), its keys and strings well-formed ({@link wellFormedText}): what every store keeps. */
export function storedJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key: string, child: unknown) => {
    if (typeof child === 'string') return wellFormedText(child);
    if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
      return Object.fromEntries(Object.entries(child).map(([name, inner]) => [wellFormedText(name), inner]));
    }
    return child;
  }));
}
