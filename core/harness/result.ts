import type { CacheRetention } from '../cost/cache-rules.js';
import type { DatasetNote, SkippedRecord } from './episode.js';
import type { AnswerEvaluation, TurnAnswer } from './evaluation.js';

/** Metrics scored on a model's reply, present only in runs with --answer-model (see bench/answer). */
export const ANSWER_METRICS = ['answerJudge', 'answerF1', 'nextActionTool', 'nextActionExact', 'nextActionArguments'] as const;

/**
 * The higher-is-better probe metrics a turn can be scored on, every one computed from the messages
 * and tools a strategy sent. `factRetention` counts the facts learned in the conversation (said by
 * the customer or the agent, returned by a tool); the per-origin metrics split it, and
 * `recordFactRetention` counts those available from the start (customer record, knowledge). The
 * answer metrics come last: scored on a model's reply, only in runs with --answer-model.
 */
export const PROBE_METRICS = [
  'factRetention',
  'customerFactRetention',
  'toolFactRetention',
  'agentFactRetention',
  'recordFactRetention',
  'evidenceRecall',
  'answerPresence',
  'routingAccuracy',
  'guidelinePresence',
  'policyPresence',
  'documentRecall',
  'recallAt5',
  'recallAt10',
  'mrrAt10',
  'ndcgAt10',
  'toolPresence',
  ...ANSWER_METRICS,
] as const;
export type ProbeMetric = (typeof PROBE_METRICS)[number];

/** Metrics that measure whether what the agent needs is still there: the mission verdict rests on these. */
export const FIDELITY_METRICS: readonly ProbeMetric[] = ['factRetention', 'evidenceRecall', 'answerPresence', 'guidelinePresence', 'policyPresence', 'documentRecall', 'toolPresence', 'answerJudge', 'answerF1', 'nextActionExact'];

/** Mean, median and 95th percentile of a sample. */
export interface Distribution {
  mean: number;
  p50: number;
  p95: number;
}

/** A mean with its 95% bootstrap confidence interval. */
export interface Estimate {
  mean: number;
  ci95: [number, number];
  /** Number of units (episodes) the estimate rests on. */
  n: number;
}

/** Version of the result file's shape; readers refuse other versions. */
export const RESULT_SCHEMA_VERSION = 2;

/** The cost scenario the mission check projects to a month. */
export interface Scenario {
  name: string;
  conversationsPerMonth: number;
  model: string;
  /** Output tokens per call when the recording has none (or to override it). */
  outputTokensPerCall: number;
  /** Use `outputTokensPerCall` even where the recording has the real output. @default false */
  overrideRecordedOutput: boolean;
  /**
   * Seconds between two calls of one conversation where the recording has no timestamps (a
   * customer reading and typing a reply); decides whether the previous call's prefix is still cached. @default 30
   */
  callGapSeconds: number;
  /** The provider's default cache lifetime, or its extended retention (OpenAI 24 h, Anthropic 1 h). @default 'default' */
  cacheRetention: CacheRetention;
}

/** The TechCorp scenario of the lab design. */
export const TECHCORP_SCENARIO: Scenario = {
  name: 'techcorp',
  conversationsPerMonth: 100_000,
  model: 'gpt-4o',
  outputTokensPerCall: 150,
  overrideRecordedOutput: false,
  callGapSeconds: 30,
  cacheRetention: 'default',
};

/** One replayed turn of one strategy. */
export interface TurnRow {
  dataset: string;
  strategy: string;
  episode: string;
  turn: number;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
  budget: number | null;
  overBudget: boolean;
  /** Prompt plus reply exceed the model's context window: the call could not be sent. */
  overWindow?: boolean;
  /** The part of `costUsd` paid for output tokens. */
  outputCostUsd?: number;
  sections: Record<string, number>;
  scores: Partial<Record<ProbeMetric, number>>;
  /** The answer model's reply (runs with --answer-model). */
  answer?: TurnAnswer;
}

/** What one strategy did on one dataset. */
export interface Aggregate {
  dataset: string;
  strategy: string;
  episodes: number;
  turns: number;
  /** The declared token budget: the largest any conversation kept, or null when none declared one. */
  budget: number | null;
  budgetViolations: number;
  inputTokens: Distribution;
  latencyMs: Distribution;
  /** Mean tokens per section per call. */
  sections: Record<string, number>;
  /** Share of input tokens served from the prompt cache. */
  cachedShare: number;
  /**
   * Share of each section's tokens served from the prompt cache: where the prefix breaks. The
   * cached prefix is laid over the sections in the order the strategy lists them (its request's
   * order), stretched to the whole prompt, so a share is exact to the few tokens framing each message.
   */
  sectionCachedShare?: Record<string, number>;
  /** Calls whose prompt and reply exceed the model's context window. */
  overWindowCalls?: number;
  /** Share of the cost paid for output tokens: no context strategy can cost less than this share of this strategy's cost. */
  outputCostShare?: number;
  /** A reference (degenerate contexts, the oracle): shown for scale, never judged by the mission check. */
  reference?: boolean;
  costPerCall: number;
  costPerConversation: number;
  metrics: Partial<Record<ProbeMetric, Estimate>>;
}

/** A dataset's verdict: `pass` / `fail` on its fidelity metrics, or why no verdict can be given. */
export type Verdict = 'pass' | 'fail' | 'no cost verdict' | 'insufficient data' | 'cannot be sent';

/** Production against naive on one fidelity metric: the paired difference over episodes with its interval. */
export interface FidelityComparison {
  metric: ProbeMetric;
  naive: number;
  production: number;
  /** Mean of production - naive over the episodes both scored. */
  delta: number;
  /** 95% bootstrap interval of the paired difference. */
  ci95: [number, number];
  /** Non-inferior: the interval's lower bound is at least minus the tolerance. */
  ok: boolean;
}

/** The mission verdict for one dataset: production against naive. */
export interface MissionCheck {
  dataset: string;
  naiveMonthlyUsd: number;
  productionMonthlyUsd: number;
  costRatio: number;
  costTarget: number;
  /** Most a fidelity metric may lose (lower CI bound of the paired difference). */
  tolerance: number;
  /** Episodes the comparison rests on. */
  episodes: number;
  fidelity: FidelityComparison[];
  /** The share of naive's cost paid for output tokens: no context strategy's ratio can go below it. */
  floor: number;
  /** The oracle's cost relative to naive, where the oracle ran: what a context that knows the answers costs. */
  oracleRatio: number | null;
  /** Calls of production that do not fit the model's context window. */
  productionOverWindow: number;
  verdict: Verdict;
  /** Why the verdict is what it is, in one line. */
  reason: string;
  pass: boolean;
}

/** An input file a dataset was read from, as replayed. */
export interface InputFileRecord {
  /** The loader option that named it. */
  option: string;
  /** Relative to the working directory when inside it, else absolute. */
  path: string;
  sha256: string;
  bytes: number;
  /** Records the file holds (JSONL lines, CSV/TSV rows, top-level JSON entries), or null for plain text. */
  records: number | null;
  /** Invalid UTF-8 sequences read as U+FFFD (only under the dataset's lenient option). */
  invalidUtf8?: number;
}

/** One LLM-backed part of one strategy: whether it ran on the endpoint or offline, and why. */
export interface LlmPartRecord {
  strategy: string;
  part: 'summarizer' | 'extractor' | 'classifier' | 'embedder';
  mode: 'llm' | 'offline';
  /** Why the part ran offline. */
  reason?: string;
  calls: number;
  /** Calls the endpoint failed, answered by the offline counterpart. */
  fallbacks: number;
  lastFallbackReason?: string;
}

/** Which LLM endpoint the run used (null: none configured) and what each part did. */
export interface LlmRecord {
  endpoint: string | null;
  model: string | null;
  parts: LlmPartRecord[];
}

/** The whole result file. */
export interface RunResult {
  schemaVersion: number;
  ctxbenchVersion: string;
  gitCommit: string | null;
  config: {
    datasets: string[];
    strategies: string[];
    model: string;
    scenario: Scenario;
    seed: number;
    shard: { index: number; count: number } | null;
    /** The options each dataset was loaded with, by name, as resolved (defaults filled in), so any turn can be re-assembled. */
    datasetOptions?: Record<string, Record<string, unknown>>;
    /** The options each strategy ran with, by name, as resolved (defaults filled in). */
    strategyOptions?: Record<string, Record<string, unknown>>;
    /**
     * The settings each strategy whose settings depend on the dataset ran with, by strategy and
     * dataset (StrategyPlugin.settingsFor): the tuned values of that day, so `show` rebuilds the
     * same contexts after a re-tune and shards tuned differently do not merge.
     */
    strategySettings?: Record<string, Record<string, Record<string, unknown>>>;
  };
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  /** Wall-clock facts; the only part (with latencies) that differs between identical runs. */
  timing: { startedAt: string; durationMs: number; turnsPerSecond: number };
  datasets: Array<{ name: string; episodes: number; turns: number; skipped: SkippedRecord[]; notes?: DatasetNote[]; inputs?: InputFileRecord[] }>;
  aggregates: Aggregate[];
  mission: MissionCheck[];
  turns?: TurnRow[];
  /** The model-in-the-loop evaluation, when the run had --answer-model; its cost is not in the aggregates. */
  evaluation?: AnswerEvaluation;
  /** True when the run was stopped (Ctrl-C) before every episode was replayed. */
  interrupted: boolean;
  /** The LLM endpoint and which parts ran offline and why (absent in results of older versions). */
  llm?: LlmRecord;
}
