import { stringify } from 'csv-stringify/sync';
import { InputError, PROBE_METRICS, type Aggregate, type Distribution, type ProbeMetric, type RunResult, type TurnRow } from '../core/index.js';
import type { TurnLog } from './turn-log.js';

type Cell = string | number | boolean | null | undefined;

/** A column: its header and how to read its cell from a record. */
interface Column<T> {
  header: string;
  cell: (record: T) => Cell;
}

const fields = <T>(...keys: Array<keyof T & string>): Array<Column<T>> => keys.map((key) => ({ header: key, cell: (record) => record[key] as Cell }));
const statistics = (key: 'inputTokens' | 'latencyMs', names: Array<keyof Distribution>): Array<Column<Aggregate>> =>
  names.map((name) => ({ header: `${key}.${name}`, cell: (a) => a[key][name] }));

const SUMMARY_COLUMNS: Array<Column<Aggregate>> = [
  ...fields<Aggregate>('dataset', 'strategy', 'episodes', 'turns', 'budget'),
  ...statistics('inputTokens', ['mean', 'p50', 'p95']),
  ...fields<Aggregate>('cachedShare', 'costPerCall', 'costPerConversation'),
  ...statistics('latencyMs', ['p50', 'p95']),
  ...fields<Aggregate>('budgetViolations'),
];

const TURN_COLUMNS = fields<TurnRow>('dataset', 'strategy', 'episode', 'turn', 'inputTokens', 'cachedTokens', 'outputTokens', 'costUsd', 'latencyMs', 'budget', 'overBudget');

/** Probe metrics that appear in any record, in the fixed PROBE_METRICS order. */
function metricsPresent(maps: ReadonlyArray<Partial<Record<ProbeMetric, unknown>>>): ProbeMetric[] {
  return PROBE_METRICS.filter((metric) => maps.some((map) => map[metric] !== undefined));
}

// Cells that begin with = + - @ tab or CR (ids and paths from the data) are prefixed with ' so a
// spreadsheet shows them as text instead of running them as formulas (OWASP "CSV injection");
// negative numbers stay numbers.
const CSV_OPTIONS = { cast: { boolean: String }, escape_formulas: true };

function toCsv<T>(records: readonly T[], columns: ReadonlyArray<Column<T>>): string {
  return stringify(
    records.map((record) => columns.map((column) => column.cell(record))),
    { ...CSV_OPTIONS, header: true, columns: columns.map((column) => column.header) },
  );
}

/** A run's partial-result mark, on every row of every CSV. */
const interruptedColumn = <T>(result: RunResult): Column<T> => ({ header: 'interrupted', cell: () => result.interrupted });

/** One row per input file of every dataset: option, path, SHA-256, bytes, records. */
export function inputsCsv(result: RunResult): string {
  const rows = result.datasets.flatMap((d) => (d.inputs ?? []).map((input) => ({ dataset: d.name, ...input, invalidUtf8: input.invalidUtf8 ?? 0 })));
  type Row = (typeof rows)[number];
  return toCsv(rows, [...fields<Row>('dataset', 'option', 'path', 'sha256', 'bytes', 'records', 'invalidUtf8'), interruptedColumn<Row>(result)]);
}

/** One row per dataset x strategy: tokens, cache share, cost, latency, budget violations, and each probe metric's mean and 95% CI. */
export function summaryCsv(result: RunResult): string {
  const metricColumns = metricsPresent(result.aggregates.map((a) => a.metrics)).flatMap((metric): Array<Column<Aggregate>> => [
    { header: `${metric}.mean`, cell: (a) => a.metrics[metric]?.mean },
    { header: `${metric}.ciLow`, cell: (a) => a.metrics[metric]?.ci95[0] },
    { header: `${metric}.ciHigh`, cell: (a) => a.metrics[metric]?.ci95[1] },
  ]);
  const loaded: Array<Column<Aggregate>> = [
    { header: 'datasetEpisodes', cell: (a) => result.datasets.find((d) => d.name === a.dataset)?.episodes },
    { header: 'datasetTurns', cell: (a) => result.datasets.find((d) => d.name === a.dataset)?.turns },
  ];
  return toCsv(result.aggregates, [...SUMMARY_COLUMNS, ...metricColumns, ...loaded, interruptedColumn<Aggregate>(result)]);
}

/** The columns of turns.csv: the fixed ones, then `section:<name>` (sorted) and `score:<metric>` columns. */
function turnColumns(sectionNames: readonly string[], metrics: readonly ProbeMetric[], result: RunResult): Array<Column<TurnRow>> {
  return [
    ...TURN_COLUMNS,
    ...sectionNames.map((name): Column<TurnRow> => ({ header: `section:${name}`, cell: (t) => t.sections[name] })),
    ...metrics.map((metric): Column<TurnRow> => ({ header: `score:${metric}`, cell: (t) => t.scores[metric] })),
    interruptedColumn<TurnRow>(result),
  ];
}

/** One row per replayed turn; sections become `section:<name>` columns (sorted) and scores `score:<metric>` columns. */
export function turnsCsv(result: RunResult): string {
  if (!result.turns) throw new InputError('the result has no per-turn rows', 'rerun the benchmark without --no-turns to keep them');
  const sectionNames = [...new Set(result.turns.flatMap((t) => Object.keys(t.sections)))].sort();
  return toCsv(result.turns, turnColumns(sectionNames, metricsPresent(result.turns.map((t) => t.scores)), result));
}

/** turns.csv from a turn log, written a row at a time: the same text as `turnsCsv` of the same rows. */
export function writeTurnsCsv(log: TurnLog, write: (chunk: string) => void, result: RunResult): void {
  const columns = turnColumns(log.sections, log.metrics, result);
  write(toCsv([], columns));
  log.forEach((row) => write(stringify([columns.map((column) => column.cell(row))], CSV_OPTIONS)));
}
