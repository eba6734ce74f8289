// Texts, queries and timing helpers for the memory-tier benchmark.
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

const data = new URL('../../datasets/data/', import.meta.url);
const json = (path: string) => JSON.parse(readFileSync(new URL(path, data), 'utf8')) as unknown;

/** One LoCoMo conversation: its turns and its QA with evidence turn ids. */
export interface Conversation {
  turns: { id: string; text: string }[];
  questions: { question: string; evidence: string[] }[];
}

/** The 10 LoCoMo conversations; questions without evidence and adversarial ones (category 5) are left out. */
export function locomoConversations(): Conversation[] {
  return readdirSync(new URL('locomo/', data))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const raw = json(`locomo/${name}`) as Record<string, unknown> & { qa: { question: string; evidence?: string[]; category: number }[] };
      const turns = Object.keys(raw)
        .filter((key) => /^session_\d+$/.test(key))
        .flatMap((key) => raw[key] as { dia_id: string; text?: string }[])
        .filter((turn) => turn.text)
        .map((turn) => ({ id: turn.dia_id, text: turn.text! }));
      const questions = raw.qa.filter((qa) => qa.category !== 5 && qa.evidence?.length).map((qa) => ({ question: qa.question, evidence: qa.evidence! }));
      return { turns, questions };
    });
}

/** tau-bench airline user, assistant and tool messages. */
export function tauBenchMessages(): string[] {
  const episodes = json('tau-bench-airline/gpt-4o-airline.json') as { traj: { role: string; content?: unknown }[] }[];
  return episodes.flatMap((episode) => episode.traj.filter((m) => m.role !== 'system' && typeof m.content === 'string' && m.content.trim()).map((m) => m.content as string));
}

/** banking77 customer queries (training split) with their intent labels, in file order. */
export function banking77Examples(): { text: string; category: string }[] {
  return parse(readFileSync(new URL('banking77/train.csv', data)), { columns: true }) as { text: string; category: string }[];
}

/** banking77 customer queries (training split). */
export function banking77Queries(): string[] {
  return banking77Examples().map((row) => row.text);
}

/** The p-th percentile (0..100) of some durations. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `task` once per input (after one untimed warm-up run) and returns each duration in ms. */
export function timeEach<T>(inputs: readonly T[], task: (input: T) => unknown): number[] {
  task(inputs[0]!);
  return inputs.map((input) => {
    const started = performance.now();
    task(input);
    return performance.now() - started;
  });
}

/** Prints a Markdown table. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}
