import type { RunResult } from '../core/index.js';
import { inputsCsv, summaryCsv, turnsCsv, writeTurnsCsv } from './csv.js';
import { evaluationCsv } from './evaluation.js';
import { htmlReport } from './html.js';
import { resultJson, writeResultJson } from './json.js';
import { markdownSummary } from './markdown.js';
import type { TurnLog } from './turn-log.js';

/** A file's content produced in chunks. */
export type ChunkedContent = (write: (chunk: string) => void) => void;

/** Most turn rows the HTML report's latency histograms read from a turn log; above, it draws percentiles only. */
export const HTML_TURNS_LIMIT = 100_000;

/** A report writer: a file name and its content, from the result alone (no writer recomputes a metric). */
export interface ReportWriter {
  readonly name: string;
  readonly description: string;
  /** Every file the writer may write, so a new run can remove the ones an earlier run left. */
  readonly files: readonly string[];
  /** Files to write, by name; empty when the result lacks what the format needs. */
  write(result: RunResult): Record<string, string>;
  /**
   * The same files for a result whose per-turn rows are in a turn log, written in chunks so that
   * the rows never sit in memory at once. @default `write` of the result without rows
   */
  writeWithLog?(result: RunResult, log: TurnLog): Record<string, ChunkedContent>;
}

/** The report formats `ctxbench run` and `ctxbench report` can write. */
export const REPORT_WRITERS: readonly ReportWriter[] = [
  {
    name: 'json',
    description: 'the versioned result (result.json)',
    files: ['result.json'],
    write: (result) => ({ 'result.json': resultJson(result) }),
    writeWithLog: (result, log) => ({ 'result.json': (write) => writeResultJson(result, log, write) }),
  },
  { name: 'md', description: 'a Markdown summary for pull requests and CI job summaries (summary.md)', files: ['summary.md'], write: (result) => ({ 'summary.md': markdownSummary(result) }) },
  {
    name: 'html',
    description: 'a self-contained HTML report with charts that opens offline (report.html)',
    files: ['report.html'],
    write: (result) => ({ 'report.html': htmlReport(result) }),
    writeWithLog: (result, log) => ({ 'report.html': (write) => write(htmlReport(log.count <= HTML_TURNS_LIMIT ? { ...result, turns: log.all() } : result)) }),
  },
  {
    name: 'csv',
    description: 'summary.csv, inputs.csv (the files replayed), turns.csv when the result has per-turn rows, evaluation.csv when it has an answer evaluation',
    files: ['summary.csv', 'inputs.csv', 'turns.csv', 'evaluation.csv'],
    write: (result) => ({ 'summary.csv': summaryCsv(result), 'inputs.csv': inputsCsv(result), ...(result.turns ? { 'turns.csv': turnsCsv(result) } : {}), ...evaluationFile(result) }),
    writeWithLog: (result, log) => ({
      'summary.csv': (write) => write(summaryCsv(result)),
      'inputs.csv': (write) => write(inputsCsv(result)),
      'turns.csv': (write) => writeTurnsCsv(log, write, result),
      ...Object.fromEntries(Object.entries(evaluationFile(result)).map(([file, content]): [string, ChunkedContent] => [file, (write) => write(content)])),
    }),
  },
];

/** evaluation.csv, for a result with an answer evaluation that sent its calls. */
function evaluationFile(result: RunResult): Record<string, string> {
  return result.evaluation && !result.evaluation.dryRun ? { 'evaluation.csv': evaluationCsv(result.evaluation) } : {};
}
