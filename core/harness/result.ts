import type { SkippedRecord } from './episode.js';

/** The higher-is-better probe metrics a turn can be scored on. */
export const PROBE_METRICS = ['factRetention', 'evidenceRecall', 'answerPresence', 'routingAccuracy', 'guidelinePresence', 'recallAt10', 'mrrAt10', 'ndcgAt10'] as const;
export type ProbeMetric = (typeof PROBE_METRICS)[number];

/** Metrics that measure whether the facts the agent needs are still there (the mission's fidelity check). */
export const FIDELITY_METRICS: readonly ProbeMetric[] = ['factRetention', 'evidenceRecall', 'answerPresence', 'guidelinePresence', 'recallAt10'];

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
export const RESULT_SCHEMA_VERSION = 1;

/** The cost scenario the mission check projects to a month. */
export interface Scenario {
  name: string;
  conversationsPerMonth: number;
  model: string;
  /** Output tokens per call when the recording has none (or to override it). */
  outputTokensPerCall: number;
  /** Use `outputTokensPerCall` even where the recording has the real output. @default false */
  overrideRecordedOutput: boolean;
}

/** The TechCorp scenario of the lab design. */
export const TECHCORP_SCENARIO: Scenario = {
  name: 'techcorp',
  conversationsPerMonth: 100_000,
  model: 'gpt-4o',
  outputTokensPerCall: 150,
  overrideRecordedOutput: false,
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
  sections: Record<string, number>;
  scores: Partial<Record<ProbeMetric, number>>;
}

/** What one strategy did on one dataset. */
export interface Aggregate {
  dataset: string;
  strategy: string;
  episodes: number;
  turns: number;
  budget: number | null;
  budgetViolations: number;
  inputTokens: Distribution;
  latencyMs: Distribution;
  /** Mean tokens per section per call. */
  sections: Record<string, number>;
  /** Share of input tokens served from the prompt cache. */
  cachedShare: number;
  costPerCall: number;
  costPerConversation: number;
  metrics: Partial<Record<ProbeMetric, Estimate>>;
}

/** The mission verdict for one dataset: production against naive. */
export interface MissionCheck {
  dataset: string;
  naiveMonthlyUsd: number;
  productionMonthlyUsd: number;
  costRatio: number;
  costTarget: number;
  fidelity: Array<{ metric: ProbeMetric; naive: number; production: number; delta: number; ok: boolean }>;
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
    /** Every selected plug-in's options as resolved (defaults filled in), by name. */
    options?: { datasets: Record<string, Record<string, unknown>>; strategies: Record<string, Record<string, unknown>> };
  };
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  /** Wall-clock facts; the only part (with latencies) that differs between identical runs. */
  timing: { startedAt: string; durationMs: number; turnsPerSecond: number };
  datasets: Array<{ name: string; episodes: number; turns: number; skipped: SkippedRecord[]; inputs?: InputFileRecord[] }>;
  aggregates: Aggregate[];
  mission: MissionCheck[];
  turns?: TurnRow[];
  /** True when the run was stopped (Ctrl-C) before every episode was replayed. */
  interrupted: boolean;
  /** The LLM endpoint and which parts ran offline and why (absent in results of older versions). */
  llm?: LlmRecord;
}
