import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError, LLM_MAX_TIMEOUT_MS, PROBE_METRICS, priceListError, priceListSchema } from '../core/index.js';
import { firstIssue } from '../core/validation.js';
import { answerConfigSchema } from './answer/settings.js';

const selection = z.union([z.string().min(1), z.object({ name: z.string().min(1), options: z.record(z.string(), z.unknown()).optional() }).strict()]);
const positiveInteger = z.number().int('must be a whole number').positive('must be 1 or more');
const share = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

/** The schema of ctxbench.config.{ts,js,mjs,json}; published as ctxbench.schema.json. */
export const configSchema = z
  .object({
    $schema: z.string().optional(),
    datasets: z.array(selection).min(1, 'must name at least one dataset').optional().describe('datasets to replay, by name or { name, options }'),
    strategies: z.array(selection).min(1, 'must name at least one strategy').optional().describe('strategies to compare, by name or { name, options }'),
    model: z.string().min(1).optional().describe('model whose prices and tokenizer apply (default gpt-4o)'),
    scenario: z
      .object({
        name: z.string().min(1).optional(),
        conversationsPerMonth: positiveInteger.optional(),
        outputTokensPerCall: positiveInteger.optional(),
        overrideRecordedOutput: z.boolean().optional(),
        callGapSeconds: z.number().nonnegative('must be zero or more seconds').optional(),
        cacheRetention: z.enum(['default', 'extended']).optional(),
      })
      .strict()
      .optional()
      .describe('the monthly cost projection (default: TechCorp, 100,000 conversations a month)'),
    prices: priceListSchema.optional().describe('models to add to or override in the price table, USD per 1M tokens'),
    out: z.string().min(1).optional().describe('output directory (default ctxbench-results)'),
    formats: z.array(z.string().min(1)).min(1).optional().describe('report formats to write'),
    concurrency: positiveInteger.optional(),
    seed: positiveInteger.optional(),
    limit: positiveInteger.optional().describe('replay at most this many episodes of each dataset'),
    turns: z.boolean().optional().describe('keep per-turn rows in result.json (default true)'),
    memory: z
      .discriminatedUnion('store', [z.object({ store: z.literal('in-process') }).strict(), z.object({ store: z.literal('postgres'), url: z.string().min(1, 'must be a postgres:// connection URL') }).strict()])
      .optional()
      .describe("where strategies that keep long-term memory keep it: { store: 'postgres', url } (PostgreSQL with pgvector), else in process (default; or set CTXBENCH_MEMORY_URL)"),
    llm: z
      .object({
        baseURL: z.string().regex(/^https?:\/\//, 'must be an http(s) URL such as https://api.openai.com/v1'),
        model: z.string().min(1),
        apiKeyEnv: z.string().min(1).optional().describe('environment variable holding the API key (default CTXBENCH_LLM_API_KEY, then OPENAI_API_KEY); keys never go in the file'),
        timeoutMs: positiveInteger.max(LLM_MAX_TIMEOUT_MS, `must be at most ${LLM_MAX_TIMEOUT_MS} ms (about 24.8 days), the longest timer Node keeps`).optional(),
        maxRetries: z.number().int().min(0).optional(),
      })
      .strict()
      .optional()
      .describe('the OpenAI-compatible endpoint of the LLM-backed parts (router classifier, compaction summarizer); without it (and without CTXBENCH_LLM_BASE_URL) they run offline'),
    check: z
      .object({
        baseline: z.string().min(1).optional(),
        maxCostRatio: z.number().positive().optional(),
        minMetric: z.partialRecord(z.enum(PROBE_METRICS), share).optional(),
        strategies: z.array(z.string().min(1)).min(1).optional(),
        latencyTolerance: z.number().nonnegative().optional(),
      })
      .strict()
      .optional()
      .describe('what ctxbench check holds results to'),
    answer: answerConfigSchema,
  })
  .strict();

/** A ctxbench configuration file's content. */
export type CtxbenchConfig = z.input<typeof configSchema>;

/** Types a configuration; does nothing at run time (as vitest's defineConfig). */
export function defineConfig(config: CtxbenchConfig): CtxbenchConfig {
  return config;
}

/** File names looked for in the working directory, in order. */
export const CONFIG_FILES = ['ctxbench.config.ts', 'ctxbench.config.mjs', 'ctxbench.config.js', 'ctxbench.config.json'];

/** Validates a configuration; the error names the file, the key, the value and the fix. */
export function validateConfig(input: unknown, file: string): CtxbenchConfig {
  const parsed = configSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  // Price entries are held to the price file's rules, and explained the same way.
  if (parsed.error.issues[0]!.path[0] === 'prices') throw priceListError(file, parsed.error.issues.filter((issue) => issue.path[0] === 'prices'), input);
  const issue = firstIssue(input, parsed.error);
  const fix = issue.unknownKey ? `remove it or use one of: ${Object.keys(configSchema.shape).filter((k) => k !== '$schema').join(', ')}` : 'correct that value (see ctxbench.schema.json)';
  throw new ConfigError(`${file}: ${issue.key} = ${JSON.stringify(issue.value) ?? 'undefined'} ${issue.problem}`, fix);
}

/** Loads the configuration from `path`, or the first default file found in `cwd`; {} when there is none. */
export async function loadConfig(path: string | undefined, cwd = process.cwd()): Promise<{ file: string | null; config: CtxbenchConfig }> {
  const file = path ? resolve(cwd, path) : CONFIG_FILES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
  if (!file) return { file: null, config: {} };
  if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`, 'pass an existing path to --config, or leave it out to use ctxbench.config.* in the working directory');
  let content: unknown;
  try {
    content = file.endsWith('.json') ? JSON.parse(readFileSync(file, 'utf8')) : await defaultExport(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`config file ${file} could not be read: ${(error as Error).message}`, file.endsWith('.json') ? 'fix the JSON syntax' : 'make the module export the configuration as its default export (export default defineConfig({...}))');
  }
  return { file, config: validateConfig(content, file) };
}

/** The default export of a config module; a module without one is named with what to export. */
async function defaultExport(file: string): Promise<unknown> {
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  if (!('default' in module) || module.default === undefined) {
    const named = Object.keys(module);
    throw new ConfigError(
      `config file ${file} has no default export${named.length ? ` (it exports ${named.join(', ')})` : ''}`,
      'export the configuration as the default export: export default defineConfig({ ... }) (import { defineConfig } from \'ctxbench/config\')',
    );
  }
  return module.default;
}
