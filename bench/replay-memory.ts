// Peak memory of `ctxbench run` on a long chat log:
//   npx tsx bench/replay-memory.ts [--megabytes 50] [--strategies production] [--bin bin/ctxbench.js]
// Writes a chat log of about the given size to a temporary directory (the four conversations of
// datasets/data/openai-jsonl/example.jsonl, repeated with their ids and numbers varied, so that no
// two conversations are the same), replays it through the CLI with every report format, and
// prints the child's peak resident memory (VmHWM, sampled from /proc), wall time and turns.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openAiJsonl } from '../datasets/openai-jsonl.js';
import { machine } from './micro/print.js';

/** One example conversation, its ids and every number of 4+ digits shifted consistently by `variant`. */
export function variedConversation(line: string, variant: number): string {
  const shifted = new Map<string, string>();
  return line
    .replace(/"metadata": \{"id": "([^"]+)"/, `"metadata": {"id": "$1-${variant}"`)
    .replace(/"user_id": "([^"]+)"/, `"user_id": "$1-${variant}"`)
    .replace(/\b\d{4,}\b/g, (digits) => {
      if (!shifted.has(digits)) shifted.set(digits, String((Number(digits) + variant * 7919) % 10 ** digits.length).padStart(digits.length, '0'));
      return shifted.get(digits)!;
    });
}

/** Writes a JSONL chat log of at least `bytes` bytes; returns the number of conversations. */
export function writeChatLog(file: string, bytes: number): number {
  const examples = readFileSync(openAiJsonl.defaults().file, 'utf8').trim().split('\n');
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = variedConversation(examples[i % examples.length]!, i);
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return lines.length;
}

/** Runs a command and samples its peak resident memory (VmHWM) until it exits. */
async function peakMemory(command: string, args: string[]): Promise<{ code: number | null; peakMiB: number; seconds: number; stderr: string }> {
  const started = performance.now();
  const child = spawn(command, args, { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  let peakKiB = 0;
  const sample = () => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
    } catch {
      // The process has exited between samples.
    }
  };
  const timer = setInterval(sample, 100);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearInterval(timer);
  return { code, peakMiB: Math.round(peakKiB / 1024), seconds: (performance.now() - started) / 1000, stderr };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { megabytes: { type: 'string', default: '50' }, strategies: { type: 'string', default: 'production' }, bin: { type: 'string', default: 'bin/ctxbench.js' }, concurrency: { type: 'string' } } });
  const dir = mkdtempSync(join(tmpdir(), 'ctxbench-memory-'));
  try {
    const file = join(dir, 'chat-log.jsonl');
    const conversations = writeChatLog(file, Number(values.megabytes) * 1e6);
    const config = join(dir, 'ctxbench.config.json');
    writeFileSync(config, JSON.stringify({ datasets: [{ name: 'openai-jsonl', options: { file } }] }));
    const args = [values.bin, 'run', '--config', config, '-s', ...values.strategies.split(','), '-o', join(dir, 'out'), ...(values.concurrency ? ['-c', values.concurrency] : [])];
    const run = await peakMemory(process.execPath, args);
    if (run.code !== 0) throw new Error(`ctxbench run exited ${run.code}:\n${run.stderr}`);
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as { datasets: Array<{ turns: number }>; timing: { turnsPerSecond: number } };
    console.log(machine());
    console.log(`| log | conversations | strategies | turns | peak RSS | wall | turns/s |`);
    console.log(`| --- | ---: | --- | ---: | ---: | ---: | ---: |`);
    console.log(`| ${(statSync(file).size / 1e6).toFixed(1)} MB | ${conversations.toLocaleString('en-US')} | ${values.strategies} | ${result.datasets[0]!.turns.toLocaleString('en-US')} | ${run.peakMiB.toLocaleString('en-US')} MiB | ${run.seconds.toFixed(0)} s | ${result.timing.turnsPerSecond} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
