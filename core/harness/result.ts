import type { SkippedRecord } from './episode.js';
import type { AnswerEvaluation, TurnAnswer } from './evaluation.js';

/** Metrics scored on a model's reply, present only in runs with --answer-model (see bench/answer). */
export const ANSWER_METRICS = ['answerJudge', 'answerF1', 'nextActionTool', 'nextActionExact', 'nextActionArguments'] as const;

/** The higher-is-better metrics a turn can be scored on: offline probes, then the answer metrics. */
export const PROBE_METRICS = ['factRetention', 'evidenceRecall', 'answerPresence', 'routingAccuracy', 'guidelinePresence', 'recallAt10', 'mrrAt10', 'ndcgAt10', ...ANSWER_METRICS] as const;
export type ProbeMetric = (typeof PROBE_METRICS)[number];

/** Metrics that measure whether the facts the agent needs are still there (the mission's fidelity check). */
export const FIDELITY_METRICS: readonly ProbeMetric[] = ['factRetention', 'evidenceRecall', 'answerPresence', 'guidelinePresence', 'recallAt10', 'answerJudge', 'answerF1', 'nextActionExact'];

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
  /** The answer model's reply (runs with --answer-model). */
  answer?: TurnAnswer;
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
  };
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  /** Wall-clock facts; the only part (with latencies) that differs between identical runs. */
  timing: { startedAt: string; durationMs: number; turnsPerSecond: number };
  datasets: Array<{ name: string; episodes: number; turns: number; skipped: SkippedRecord[] }>;
  aggregates: Aggregate[];
  mission: MissionCheck[];
  turns?: TurnRow[];
  /** The model-in-the-loop evaluation, when the run had --answer-model; its cost is not in the aggregates. */
  evaluation?: AnswerEvaluation;
  /** True when the run was stopped (Ctrl-C) before every episode was replayed. */
  interrupted: boolean;
}
