import type { ChatMessage } from '../messages.js';

/**
 * The judge's prompt (ctxbench's wording of Mem0's LoCoMo protocol: CORRECT or WRONG against the
 * gold answer, generous about length and date formats, the label as JSON). Fixed: changing it
 * changes every answerJudge score, so it is versioned by {@link JUDGE_PROMPT_VERSION}.
 */
export const JUDGE_PROMPT = `You grade one answer to a question about a long conversation between two people.
You are given the question, the gold (ground-truth) answer and a generated answer. Label the generated answer CORRECT or WRONG.

Grade generously. The gold answer is usually short; the generated answer may be much longer. It is CORRECT when it refers to the same thing as the gold answer, and WRONG when it names something else, says it does not know, or leaves the gold answer out.
For questions about time, the gold answer is a date, a month or a year. The generated answer is CORRECT when it refers to the same date or period, whatever the format ("7 May" and "May 7th" are the same date) and even when it says it relative to the conversation ("last Tuesday").

Question: {question}
Gold answer: {gold}
Generated answer: {answer}

Explain your reasoning in one sentence, then give the label. Write exactly one of CORRECT or WRONG as the label, never both.
Reply with a JSON object: {"reasoning": "<one sentence>", "label": "CORRECT" or "WRONG"}`;

/** Bumped whenever JUDGE_PROMPT changes. */
export const JUDGE_PROMPT_VERSION = 1;

/** What the judge decided. */
export type JudgeVerdict = 'CORRECT' | 'WRONG';

/** The judge's request messages for one question (one user message, as in Mem0's protocol). */
export function judgeMessages(question: string, gold: string, answer: string): ChatMessage[] {
  const fill: Record<string, string> = { question, gold, answer };
  // One pass, so an answer that contains "{gold}" is never expanded.
  return [{ role: 'user', content: JUDGE_PROMPT.replace(/\{(question|gold|answer)\}/g, (_, key: string) => fill[key]!) }];
}

/**
 * The verdict in a judge's reply: the `label` of a JSON object (code fences allowed), else the one
 * upper-case label word the text contains. Undefined when the reply is malformed: no label, or both.
 */
export function parseJudgeVerdict(reply: string | null | undefined): JudgeVerdict | undefined {
  if (!reply) return undefined;
  const unfenced = reply.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, '');
  try {
    const parsed = JSON.parse(unfenced) as unknown;
    if (typeof parsed === 'object' && parsed !== null && 'label' in parsed && typeof parsed.label === 'string') {
      const label = parsed.label.trim().toUpperCase();
      return label === 'CORRECT' || label === 'WRONG' ? label : undefined;
    }
  } catch {
    // Not JSON: look for the label word below.
  }
  const correct = /\bCORRECT\b/.test(reply);
  const wrong = /\bWRONG\b/.test(reply);
  return correct === wrong ? undefined : correct ? 'CORRECT' : 'WRONG';
}
