import os from 'node:os';
import type { Bench } from 'tinybench';

/** Prints a benchmark's medians as a Markdown table, ready for the README. */
export function printMedians(bench: Bench): void {
  console.log(`\n### ${bench.name}\n`);
  console.log('| task | median | p99 | samples |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') {
      console.log(`| ${task.name} | ${result.state} | | |`);
      continue;
    }
    console.log(`| ${task.name} | ${formatMs(result.latency.p50)} | ${formatMs(result.latency.p99)} | ${result.latency.samplesCount} |`);
  }
}

/** One line naming the machine, for the README beside the numbers. */
export function machine(): string {
  return `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function formatMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`;
}
