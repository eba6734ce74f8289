import type { z } from 'zod';

/** The first problem zod found in an input: the key (dotted path), the value given there, and what is wrong. */
export interface InputIssue {
  key: string;
  value: unknown;
  problem: string;
  /** True when the key itself is not one the schema knows. */
  unknownKey: boolean;
}

/** Names the first issue of a failed parse by key and value, so an error message can say both. */
export function firstIssue(input: unknown, error: z.ZodError): InputIssue {
  const issue = error.issues[0]!;
  const unknownKey = issue.code === 'unrecognized_keys';
  const path = unknownKey ? [...issue.path, issue.keys[0]!] : issue.path;
  const value = path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | null | undefined)?.[key as PropertyKey], input);
  const problem = unknownKey ? 'is not a known key' : value === undefined ? 'is missing' : issue.message;
  return { key: path.map(String).join('.') || '(root)', value, problem, unknownKey };
}
