import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { PROBE_METRICS, type ProbeMetric, type TurnRow } from '../core/index.js';

const CHUNK_BYTES = 1 << 20;

/**
 * Turn rows written to a JSON-lines file as they come, so that a long replay keeps none in
 * memory; report writers read them back one at a time. Knows the section and metric columns.
 */
export class TurnLog {
  private descriptor: number | undefined;
  private readonly sectionNames = new Set<string>();
  private readonly metricNames = new Set<ProbeMetric>();
  private rows = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.descriptor = openSync(path, 'w');
  }

  /** Number of rows written. */
  get count(): number {
    return this.rows;
  }

  /** Sections that appear in any row, sorted. */
  get sections(): string[] {
    return [...this.sectionNames].sort();
  }

  /** Probe metrics that appear in any row, in PROBE_METRICS order. */
  get metrics(): ProbeMetric[] {
    return PROBE_METRICS.filter((metric) => this.metricNames.has(metric));
  }

  append(rows: readonly TurnRow[]): void {
    let text = '';
    for (const row of rows) {
      text += `${JSON.stringify(row)}\n`;
      for (const name of Object.keys(row.sections)) this.sectionNames.add(name);
      for (const metric of Object.keys(row.scores) as ProbeMetric[]) this.metricNames.add(metric);
    }
    writeSync(this.descriptor!, text);
    this.rows += rows.length;
  }

  /** Visits every row in order, reading one chunk of the file at a time. */
  forEach(visit: (row: TurnRow) => void): void {
    const descriptor = openSync(this.path, 'r');
    try {
      const buffer = Buffer.alloc(CHUNK_BYTES);
      const decoder = new StringDecoder('utf8');
      let rest = '';
      for (let read = readSync(descriptor, buffer); read > 0; read = readSync(descriptor, buffer)) {
        const lines = (rest + decoder.write(buffer.subarray(0, read))).split('\n');
        rest = lines.pop()!;
        for (const line of lines) visit(JSON.parse(line) as TurnRow);
      }
    } finally {
      closeSync(descriptor);
    }
  }

  /** Every row at once: only for logs known to be small. */
  all(): TurnRow[] {
    const rows: TurnRow[] = [];
    this.forEach((row) => rows.push(row));
    return rows;
  }

  /** Closes and deletes the file. */
  remove(): void {
    if (this.descriptor !== undefined) closeSync(this.descriptor);
    this.descriptor = undefined;
    rmSync(this.path, { force: true });
  }
}
