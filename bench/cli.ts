import { Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { ConfigError, CtxbenchError, MEMORY_URL_ENV, MODEL_CACHE_ENV, PriceTable, sharedCounter, TECHCORP_SCENARIO } from '../core/index.js';
import { datasets } from '../datasets/index.js';
import { REPORT_WRITERS } from '../reports/index.js';
import { writeFileAtomic } from '../reports/json.js';
import { TurnLog } from '../reports/turn-log.js';
import { junitXml } from '../reports/junit.js';
import { markdownSummary } from '../reports/markdown.js';
import { strategies } from '../strategies/index.js';
import { checkResult, formatCheckTable, readResult } from './check.js';
import { loadConfig, type CtxbenchConfig } from './config.js';
import { ctxbenchVersion } from './runner/environment.js';
import { logProgress, terminalProgress } from './progress.js';
import { mergeResults } from './runner/merge.js';
import { formatShownTurn, showTurn } from './show.js';
import { runBenchmark } from './runner/run.js';
import { listPlugins } from './list.js';
import { llmLine, resolveLlmConfig } from './llm-config.js';
import { checkOutputDirectory, checkOutputFile } from './output-paths.js';
import { checkFormats, checkReportTarget, writeReportSet } from './report-set.js';
import { parseSelection } from './selection-flag.js';
import { addAnswerOptions, answerEvaluator, type AnswerFlags } from './answer/settings.js';

const positiveInteger = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1, got "${value}"`);
  return parsed;
};

/** A plain decimal number (no unit, no percent sign): `share` for a 0..1 fraction, else any number of at least 0. */
const decimal = (name: string, example: string) => (value: string) => {
  const parsed = /^\s*\d+(?:\.\d+)?\s*$|^\s*\.\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError(`${name} must be a plain number such as ${example}, got "${value}"`);
  return parsed;
};

const shardOption = (value: string) => {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`--shard must look like i/n (for example 1/3), got "${value}"`);
  return { index: Number(match[1]), count: Number(match[2]) };
};

interface RunFlags extends AnswerFlags {
  config?: string;
  dataset?: string[];
  strategy?: string[];
  model?: string;
  conversations?: number;
  out?: string;
  concurrency?: number;
  shard?: { index: number; count: number };
  seed?: number;
  limit?: number;
  turns?: boolean;
  format?: string[];
}

type Selected = { name: string; options?: Record<string, unknown> };
const selected = (entries: ReadonlyArray<string | Selected>): Selected[] => entries.map((entry) => (typeof entry === 'string' ? { name: entry } : entry));
const DEFAULT_DATASETS = () => datasets.names().filter((name) => name !== 'openai-jsonl' && name !== 'beir');

/** The run's settings: flags first, then the config file, then the defaults. */
function runSettings(flags: RunFlags, config: CtxbenchConfig) {
  const limit = flags.limit ?? config.limit;
  const withLimit = (entry: Selected) => {
    if (!limit) return entry;
    const own = entry.options?.limit;
    if (own !== undefined && own !== limit) throw new ConfigError(`dataset "${entry.name}" has its own limit ${JSON.stringify(own)} and --limit is ${limit}`, 'give the limit once: --limit for every dataset, or the dataset option for that one');
    return { ...entry, options: { ...entry.options, limit } };
  };
  const model = flags.model ?? config.model ?? TECHCORP_SCENARIO.model;
  return {
    datasets: (flags.dataset ? flags.dataset.map((entry) => parseSelection('-d', entry, datasets)) : selected(config.datasets ?? DEFAULT_DATASETS())).map(withLimit),
    strategies: flags.strategy ? flags.strategy.map((entry) => parseSelection('-s', entry, strategies)) : selected(config.strategies ?? strategies.names()),
    scenario: { ...TECHCORP_SCENARIO, ...config.scenario, model, ...(flags.conversations ? { conversationsPerMonth: flags.conversations } : {}) },
    prices: new PriceTable(config.prices),
    out: flags.out ?? config.out ?? 'ctxbench-results',
    formats: flags.format ?? config.formats ?? REPORT_WRITERS.map((w) => w.name),
    concurrency: flags.concurrency ?? config.concurrency ?? availableParallelism(),
    seed: flags.seed ?? config.seed ?? 1,
    perTurn: flags.turns ?? config.turns ?? true,
    memory: config.memory ?? (process.env[MEMORY_URL_ENV] ? { store: 'postgres' as const, url: process.env[MEMORY_URL_ENV] } : undefined),
  };
}

async function runCommand(flags: RunFlags, command: Command): Promise<void> {
  const { config } = await loadConfig(flags.config);
  // --no-turns defaults `turns` to true; only an explicit flag may override the config file.
  const settings = runSettings({ ...flags, turns: command.getOptionValueSource('turns') === 'cli' ? flags.turns : undefined }, config);
  settings.prices.get(settings.scenario.model);
  checkFormats(settings.formats);
  checkOutputDirectory(settings.out);
  checkReportTarget(settings.out, settings.formats, true);
  // A cache directory asked for must be usable; the default one is skipped when it is not.
  const modelCache = process.env[MODEL_CACHE_ENV]?.trim();
  if (modelCache && modelCache !== 'off') checkOutputDirectory(modelCache, MODEL_CACHE_ENV);
  const llm = resolveLlmConfig(config);
  process.stderr.write(`${llmLine(llm)}\n`);
  const evaluator = answerEvaluator(flags, config.answer, settings.prices, (text) => (flags.dryRun ? process.stdout : process.stderr).write(text));
  const controller = new AbortController();
  const onInterrupt = () => {
    process.stderr.write('\nstopping after the episodes in flight; press Ctrl-C again to quit now\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onInterrupt);
  // Turn rows go to a file as they come, so a long replay keeps none in memory.
  const log = settings.perTurn ? new TurnLog(join(settings.out, `.turns-${process.pid}.jsonl`)) : undefined;
  try {
    const result = await runBenchmark({
      ...settings,
      registries: { datasets, strategies },
      shard: flags.shard,
      signal: controller.signal,
      ...(llm ? { llm } : {}),
      evaluator,
      onProgress: process.stderr.isTTY ? terminalProgress(process.stderr) : logProgress((line) => process.stderr.write(`${line}\n`)),
      ...(log ? { onTurns: (rows) => log.append(rows) } : {}),
    });
    if (flags.dryRun) return;
    const inputs = result.datasets.flatMap((dataset) => (dataset.inputs ?? []).map((input) => input.path));
    const written = writeReportSet(result, settings.out, settings.formats, true, log, inputs);
    process.stdout.write(`${markdownSummary(result)}\nwrote ${written.join(', ')}${result.interrupted ? ' (interrupted: partial result)' : ''}\n`);
    if (result.interrupted) process.exitCode = 130;
  } finally {
    log?.remove();
    process.off('SIGINT', onInterrupt);
  }
}

const metricFloor = (value: string, floors: Record<string, number> = {}) => {
  const match = /^(\w+)=(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`--min must look like metric=value (for example factRetention=0.95), got "${value}"`);
  const floor = /^(?:\d+(?:\.\d+)?|\.\d+)$/.test(match[2]!) ? Number(match[2]) : Number.NaN;
  if (!(floor >= 0 && floor <= 1)) throw new InvalidArgumentError(`--min ${match[1]} must be a share from 0 to 1 (for example ${match[1]}=0.95), got "${match[2]}"`);
  return { ...floors, [match[1]!]: floor };
};

interface CheckFlags {
  config?: string;
  baseline?: string;
  junit?: string;
  maxCostRatio?: number;
  min?: Record<string, number>;
  strategy?: string[];
  latencyTolerance?: number;
}

async function checkCommand(resultPath: string, flags: CheckFlags): Promise<void> {
  const gate = (await loadConfig(flags.config)).config.check ?? {};
  if (flags.junit) checkOutputFile(flags.junit, '--junit');
  const baseline = flags.baseline ?? gate.baseline;
  const latency = flags.latencyTolerance ?? gate.latencyTolerance;
  const report = checkResult(readResult(resultPath), {
    thresholds: { maxCostRatio: flags.maxCostRatio ?? gate.maxCostRatio, minMetric: flags.min ?? gate.minMetric, strategies: flags.strategy ?? gate.strategies },
    baseline: baseline ? readResult(baseline) : undefined,
    tolerance: latency === undefined ? {} : { latency },
  });
  process.stdout.write(`${formatCheckTable(report)}\n`);
  if (flags.junit) writeFileAtomic(flags.junit, junitXml(report));
  process.exitCode = report.pass ? 0 : 1;
}

/** The `ctxbench` command line. */
export function buildCli(): Command {
  const program = new Command('ctxbench')
    .description('Context engineering benchmarks for customer-service LLM agents')
    .version(ctxbenchVersion())
    // Usage errors exit 2 (as input errors do); help and --version exit 0.
    .exitOverride((error) => {
      throw new CliExit(error.exitCode === 0 ? 0 : 2);
    });
  program
    .command('run')
    .description('replay recorded conversations through context strategies and write the result and a summary')
    .option('--config <file>', 'configuration file (default: ctxbench.config.{ts,mjs,js,json} in the working directory)')
    .option('-d, --dataset <names...>', `datasets to replay, each name[:key=value,...] (default: ${DEFAULT_DATASETS().join(', ')})`)
    .option('-s, --strategy <names...>', `strategies to compare, each name[:key=value,...] such as token-buffer:maxTokens=2000 (default: all: ${strategies.names().join(', ')})`)
    .option('-m, --model <model>', `model whose prices and tokenizer apply (default: ${TECHCORP_SCENARIO.model})`)
    .option('--conversations <n>', `conversations a month, for the monthly projection (default: ${TECHCORP_SCENARIO.conversationsPerMonth})`, positiveInteger('--conversations'))
    .option('-o, --out <dir>', 'output directory (default: ctxbench-results)')
    .option('-c, --concurrency <n>', `worker threads replaying episodes at once; 1 replays in the main thread (default: the cores available, ${availableParallelism()})`, positiveInteger('--concurrency'))
    .option('--shard <i/n>', 'replay only shard i of n', shardOption)
    .option('--seed <n>', 'seed of the bootstrap intervals (default: 1)', positiveInteger('--seed'))
    .option('--limit <n>', 'replay at most n episodes of each dataset', positiveInteger('--limit'))
    .option('--no-turns', 'leave per-turn rows out of result.json')
    .option('-f, --format <formats...>', `report formats (default: all: ${REPORT_WRITERS.map((w) => w.name).join(', ')})`)
    .action(runCommand);
  addAnswerOptions(program.commands.find((command) => command.name() === 'run')!);
  program
    .command('report')
    .description('write report formats from an existing result.json')
    .argument('<result>', 'a result.json written by ctxbench run')
    .option('-o, --out <dir>', 'output directory', 'ctxbench-results')
    .option('-f, --format <formats...>', `report formats (${REPORT_WRITERS.map((w) => w.name).join(', ')})`, REPORT_WRITERS.map((w) => w.name).filter((n) => n !== 'json'))
    .action((resultPath: string, flags: { out: string; format: string[] }) => {
      checkFormats(flags.format);
      checkOutputDirectory(flags.out);
      checkReportTarget(flags.out, flags.format, false, [resultPath]);
      process.stdout.write(`wrote ${writeReportSet(readResult(resultPath), flags.out, flags.format, false, undefined, [resultPath]).join(', ')}\n`);
    });
  program
    .command('merge')
    .description('merge the result.json files of --shard runs into one result and write its reports')
    .argument('<results...>', 'the result.json of every shard')
    .option('-o, --out <dir>', 'output directory', 'ctxbench-results')
    .option('-f, --format <formats...>', `report formats (${REPORT_WRITERS.map((w) => w.name).join(', ')})`, REPORT_WRITERS.map((w) => w.name))
    .action((paths: string[], flags: { out: string; format: string[] }) => {
      checkFormats(flags.format);
      checkOutputDirectory(flags.out);
      checkReportTarget(flags.out, flags.format, true, paths);
      const merged = mergeResults(paths.map((path) => readResult(path)), paths);
      process.stdout.write(`${markdownSummary(merged)}\nwrote ${writeReportSet(merged, flags.out, flags.format, true, undefined, paths).join(', ')}\n`);
    });
  program
    .command('check')
    .description('the CI gate: exit 1 when a budget was exceeded, a threshold missed or a metric regressed')
    .argument('<result>', 'a result.json written by ctxbench run')
    .option('--config <file>', 'configuration file whose check section holds the thresholds')
    .option('-b, --baseline <result>', 'an earlier result.json to compare against (same datasets and scenario)')
    .option('--junit <file>', 'also write the gates as JUnit XML')
    .option('--max-cost-ratio <x>', 'most production may cost relative to naive, per dataset', decimal('--max-cost-ratio', '0.1'))
    .option('--min <metric=value>', 'a floor for a probe metric (repeatable)', metricFloor)
    .option('-s, --strategy <names...>', 'strategies the thresholds apply to (default: production)')
    .option('--latency-tolerance <share>', 'allowed p95 latency rise over the baseline on a comparable machine (default 0.2)', decimal('--latency-tolerance', '0.2 (for 20%)'))
    .action(checkCommand);
  program
    .command('show')
    .description('print exactly what a strategy sent at one turn of a replay: messages, tools, sections, cached prefix, probe hits and misses')
    .argument('<result>', 'a result.json written by ctxbench run')
    .requiredOption('-d, --dataset <name>', 'the dataset')
    .requiredOption('-s, --strategy <name>', 'the strategy')
    .requiredOption('-e, --episode <id>', 'the episode id (as in turns.csv)')
    .option('-t, --turn <n>', 'the turn index within the episode (default: 0)', (value: string) => {
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`--turn must be a whole number of at least 0, got "${value}"`);
      return parsed;
    })
    .action(async (resultPath: string, flags: { dataset: string; strategy: string; episode: string; turn?: number }) => {
      const result = readResult(resultPath);
      const shown = await showTurn(result, { dataset: flags.dataset, strategy: flags.strategy, episode: flags.episode, turn: flags.turn ?? 0, registries: { datasets, strategies } });
      process.stdout.write(formatShownTurn(shown, sharedCounter(result.config.scenario.model)));
    });
  program
    .command('list')
    .description('list the registered datasets and strategies with their options and defaults, and the priced models')
    .action(() => {
      process.stdout.write(`${listPlugins('datasets', datasets.list())}\n${listPlugins('strategies', strategies.list())}\npriced models\n  ${new PriceTable().models().join(', ')}\n`);
    });
  program
    .command('demo')
    .description('assemble one budgeted context from a recorded tau-bench conversation and print its sections')
    .action(async () => {
      await import('./demo.js');
    });
  return program;
}

/** Commander asked to stop (help, --version, a usage error) with this exit code. */
class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Runs the command line on `argv` (as process.argv: node, script, arguments...) and returns its
 * exit code: 0, 1 when the gate fails, 2 for bad input or usage, 130 when interrupted. Output goes
 * to process.stdout and process.stderr; nothing exits the process, so tests can run it in process.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const outer = process.exitCode;
  process.exitCode = undefined;
  try {
    await buildCli().parseAsync([...argv]);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CliExit) return error.code;
    if (error instanceof CtxbenchError) {
      process.stderr.write(`ctxbench: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    process.exitCode = outer;
  }
}
