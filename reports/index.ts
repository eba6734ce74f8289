import type { RunResult } from '../core/index.js';
import { summaryCsv, turnsCsv } from './csv.js';
import { evaluationCsv } from './evaluation.js';
import { htmlReport } from './html.js';
import { resultJson } from './json.js';
import { markdownSummary } from './markdown.js';

/** A report writer: a file name and its content, from the result alone (no writer recomputes a metric). */
export interface ReportWriter {
  readonly name: string;
  readonly description: string;
  /** Files to write, by name; empty when the result lacks what the format needs. */
  write(result: RunResult): Record<string, string>;
}

/** The report formats `ctxbench run` and `ctxbench report` can write. */
export const REPORT_WRITERS: readonly ReportWriter[] = [
  { name: 'json', description: 'the versioned result (result.json)', write: (result) => ({ 'result.json': resultJson(result) }) },
  { name: 'md', description: 'a Markdown summary for pull requests and CI job summaries (summary.md)', write: (result) => ({ 'summary.md': markdownSummary(result) }) },
  { name: 'html', description: 'a self-contained HTML report with charts that opens offline (report.html)', write: (result) => ({ 'report.html': htmlReport(result) }) },
  {
    name: 'csv',
    description: 'summary.csv, turns.csv when the result has per-turn rows, evaluation.csv when it has an answer evaluation',
    write: (result) => ({
      'summary.csv': summaryCsv(result),
      ...(result.turns ? { 'turns.csv': turnsCsv(result) } : {}),
      ...(result.evaluation && !result.evaluation.dryRun ? { 'evaluation.csv': evaluationCsv(result.evaluation) } : {}),
    }),
  },
];
