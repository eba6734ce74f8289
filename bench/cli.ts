import { Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { CtxbenchError, PriceTable, TECHCORP_SCENARIO } from '../core/index.js';
import { datasets } from '../datasets/index.js';
import { resultJson, writeFileAtomic } from '../reports/json.js';
import { markdownSummary } from '../reports/markdown.js';
import { strategies } from '../strategies/index.js';
import { ctxbenchVersion } from './runner/environment.js';
import { logProgress, terminalProgress } from './progress.js';
import { runBenchmark } from './runner/run.js';

const positiveInteger = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got "${value}"`);
  return parsed;
};

const shardOption = (value: string) => {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`--shard must look like i/n (for example 1/3), got "${value}"`);
  return { index: Number(match[1]), count: Number(match[2]) };
};

interface RunFlags {
  dataset?: string[];
  strategy?: string[];
  model: string;
  conversations: number;
  out: string;
  concurrency: number;
  shard?: { index: number; count: number };
  seed: number;
  limit?: number;
  turns: boolean;
}

async function runCommand(flags: RunFlags): Promise<void> {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping after the episodes in flight; press Ctrl-C again to quit now\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const result = await runBenchmark({
    datasets: (flags.dataset ?? datasets.names().filter((name) => name !== 'openai-jsonl' && name !== 'beir')).map((name) => ({ name, options: flags.limit ? { limit: flags.limit } : {} })),
    strategies: (flags.strategy ?? strategies.names()).map((name) => ({ name })),
    registries: { datasets, strategies },
    scenario: { ...TECHCORP_SCENARIO, model: flags.model, conversationsPerMonth: flags.conversations },
    seed: flags.seed,
    concurrency: flags.concurrency,
    shard: flags.shard,
    perTurn: flags.turns,
    signal: controller.signal,
    onProgress: process.stderr.isTTY ? terminalProgress(process.stderr) : logProgress((line) => process.stderr.write(`${line}\n`)),
  });
  const summary = markdownSummary(result);
  writeFileAtomic(join(flags.out, 'result.json'), resultJson(result));
  writeFileAtomic(join(flags.out, 'summary.md'), summary);
  process.stdout.write(`${summary}\nwrote ${join(flags.out, 'result.json')} and ${join(flags.out, 'summary.md')}${result.interrupted ? ' (interrupted: partial result)' : ''}\n`);
  if (result.interrupted) process.exitCode = 130;
}

/** The `ctxbench` command line. */
export function buildCli(): Command {
  const program = new Command('ctxbench')
    .description('Context engineering benchmarks for customer-service LLM agents')
    .version(ctxbenchVersion())
    // Usage errors exit 2 (as input errors do); help and --version exit 0.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  program
    .command('run')
    .description('replay recorded conversations through context strategies and write the result and a summary')
    .option('-d, --dataset <names...>', `datasets to replay (default: ${datasets.names().filter((n) => n !== 'openai-jsonl' && n !== 'beir').join(', ')})`)
    .option('-s, --strategy <names...>', `strategies to compare (default: all: ${strategies.names().join(', ')})`)
    .option('-m, --model <model>', 'model whose prices and tokenizer apply', TECHCORP_SCENARIO.model)
    .option('--conversations <n>', 'conversations a month, for the monthly projection', positiveInteger('--conversations'), TECHCORP_SCENARIO.conversationsPerMonth)
    .option('-o, --out <dir>', 'output directory', 'ctxbench-results')
    .option('-c, --concurrency <n>', 'episodes replayed at once', positiveInteger('--concurrency'), 4)
    .option('--shard <i/n>', 'replay only shard i of n', shardOption)
    .option('--seed <n>', 'seed of the bootstrap intervals', positiveInteger('--seed'), 1)
    .option('--limit <n>', 'replay at most n episodes of each dataset', positiveInteger('--limit'))
    .option('--no-turns', 'leave per-turn rows out of result.json')
    .action(async (flags: RunFlags) => {
      new PriceTable().get(flags.model);
      await runCommand(flags);
    });
  program
    .command('list')
    .description('list the registered datasets, strategies and priced models')
    .action(() => {
      const section = (title: string, rows: Array<{ name: string; description: string }>) => `${title}\n${rows.map((r) => `  ${r.name.padEnd(18)} ${r.description}`).join('\n')}\n`;
      process.stdout.write(`${section('datasets', datasets.list())}\n${section('strategies', strategies.list())}\npriced models\n  ${new PriceTable().models().join(', ')}\n`);
    });
  program
    .command('demo')
    .description('assemble one budgeted context from a recorded tau-bench conversation and print its sections')
    .action(async () => {
      await import('./demo.js');
    });
  return program;
}

try {
  await buildCli().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CtxbenchError) {
    process.stderr.write(`ctxbench: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
