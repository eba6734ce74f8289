import type { InputFileRecord, RunResult } from '../core/index.js';

type DatasetEntry = RunResult['datasets'][number];

const count = (value: number) => value.toLocaleString('en-US');

/** One input file as a line: path (option), records, bytes and the first 12 hex digits of its SHA-256. */
export function inputLine(input: InputFileRecord): string {
  const records = input.records === null ? '' : `${count(input.records)} records, `;
  const invalid = input.invalidUtf8 ? `, ${count(input.invalidUtf8)} invalid UTF-8 sequences read as U+FFFD` : '';
  return `${input.path} (${input.option}): ${records}${count(input.bytes)} bytes, sha256 ${input.sha256.slice(0, 12)}${invalid}`;
}

const range = (values: number[]) => {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? count(low) : `${count(low)}–${count(high)}`;
};

/**
 * What was replayed of a dataset: "12 episodes, 160 turns", or for an interrupted run the episodes
 * and turns each strategy got through ("interrupted: 3 of 12 episodes, 41 of 160 turns replayed");
 * skipped records are counted by the writer.
 */
export function replayedSummary(result: RunResult, dataset: DatasetEntry): string {
  if (!result.interrupted) return `${count(dataset.episodes)} episodes, ${count(dataset.turns)} turns`;
  const rows = result.config.strategies.map((strategy) => result.aggregates.find((a) => a.dataset === dataset.name && a.strategy === strategy));
  const episodes = rows.map((a) => a?.episodes ?? 0);
  const turns = rows.map((a) => a?.turns ?? 0);
  return `interrupted: ${range(episodes)} of ${count(dataset.episodes)} episodes, ${range(turns)} of ${count(dataset.turns)} turns replayed`;
}

/** The banner of a partial result, or '' for a complete one. */
export function interruptedBanner(result: RunResult): string {
  if (!result.interrupted) return '';
  const replayed = new Set(result.aggregates.map((a) => a.dataset));
  const missing = result.config.datasets.filter((name) => !replayed.has(name));
  const notStarted = missing.length > 0 ? ` Not replayed at all: ${missing.join(', ')}.` : '';
  return `INTERRUPTED: this run was stopped before every episode was replayed; the numbers below cover only what finished.${notStarted}`;
}

/**
 * Text from the data or the configuration (a file path, a scenario or model name, an endpoint, an
 * error message) as Markdown shows it: one line, a table's column bars escaped, no HTML a viewer
 * would render. A path with a newline could otherwise add a forged verdict row to summary.md.
 */
export function mdText(text: string): string {
  return text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}
