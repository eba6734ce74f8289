import type { RunResult } from '../core/index.js';
import { inputsCsv, summaryCsv, turnsCsv } from './csv.js';
import { htmlReport } from './html.js';
import { resultJson } from './json.js';
import { markdownSummary } from './markdown.js';

/** A report writer: a file name and its content, from the result alone (no writer recomputes a metric). */
export interface ReportWriter {
  readonly name: string;
  readonly description: string;
  /** Every file the writer may write, so a new run can remove the ones an earlier run left. */
  readonly files: readonly string[];
  /** Files to write, by name; empty when the result lacks what the format needs. */
  write(result: RunResult): Record<string, string>;
}

/** The report formats `ctxbench run` and `ctxbench report` can write. */
export const REPORT_WRITERS: readonly ReportWriter[] = [
  { name: 'json', description: 'the versioned result (result.json)', files: ['result.json'], write: (result) => ({ 'result.json': resultJson(result) }) },
  { name: 'md', description: 'a Markdown summary for pull requests and CI job summaries (summary.md)', files: ['summary.md'], write: (result) => ({ 'summary.md': markdownSummary(result) }) },
  { name: 'html', description: 'a self-contained HTML report with charts that opens offline (report.html)', files: ['report.html'], write: (result) => ({ 'report.html': htmlReport(result) }) },
  {
    name: 'csv',
    description: 'summary.csv, inputs.csv (the files replayed), and turns.csv when the result has per-turn rows',
    files: ['summary.csv', 'inputs.csv', 'turns.csv'],
    write: (result) => ({ 'summary.csv': summaryCsv(result), 'inputs.csv': inputsCsv(result), ...(result.turns ? { 'turns.csv': turnsCsv(result) } : {}) }),
  },
];
