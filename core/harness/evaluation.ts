/** Tokens and dollars of evaluation calls of one model (the answer model's, or the judge's). */
export interface EvaluationUsage {
  model: string;
  /** Calls behind the scored turns; a turn whose request another turn also sent counts for both. */
  calls: number;
  inputTokens: number;
  /** Prompt tokens the endpoint served from its own prompt cache. */
  cachedInputTokens: number;
  outputTokens: number;
  /** At the model's list price (whether or not this run paid for it); null when the model has no price. */
  costUsd: number | null;
}

/** What an evaluation would send and cost, before it sends anything. */
export interface EvaluationEstimate {
  /** Turns with something to score (a gold answer or a recorded tool call). */
  turns: number;
  /** Distinct answer requests (identical contexts are sent once), and how many of them the cache already has. */
  answerRequests: number;
  answerRequestsCached: number;
  /** Judge requests (one per turn with a gold answer when a judge is set); cached ones are known only once their answer is. */
  judgeRequests: number;
  judgeRequestsCached: number;
  /** Tokens of the requests still to send: counted prompts, and outputs estimated (answers: the recorded reply's length, capped; judge: its cap). */
  inputTokens: number;
  outputTokens: number;
  /** Dollars of the requests still to send at list price, without prompt-cache discounts; null when a model has no price. */
  costUsd: number | null;
  /** Tokenizer the prompts were counted with (o200k_base stands in for models it does not know). */
  encoding: string;
}

/** A turn whose answer or judgement could not be had; the turn keeps no answer score. */
export interface EvaluationFailure {
  dataset: string;
  strategy: string;
  episode: string;
  turn: number;
  stage: 'answer' | 'judge';
  code: string;
  message: string;
}

/** The model-in-the-loop evaluation of a run (`ctxbench run --answer-model`): kept apart from the strategies' cost. */
export interface AnswerEvaluation {
  answerModel: string;
  judgeModel: string | null;
  /** Version of the published judge prompt; null without a judge. */
  judgePromptVersion: number | null;
  /** The endpoint's base URL (never the key); null for a dry run without one. */
  endpoint: string | null;
  maxTokens: number;
  dryRun: boolean;
  estimate: EvaluationEstimate;
  /** Per dataset x strategy: turns scored, turns failed, and what their calls cost at list price. */
  usage: Array<{ dataset: string; strategy: string; turns: number; failed: number; answer: EvaluationUsage; judge: EvaluationUsage | null }>;
  /** This run only: calls sent to the endpoint, replies served from the on-disk cache, dollars spent. */
  run: { sent: number; fromCache: number; spentUsd: number | null };
  /** True when --max-spend stopped the evaluation before every turn was scored. */
  stoppedBySpendLimit: boolean;
  failures: EvaluationFailure[];
}

/** The model's reply at one turn, as recorded in the turn row. */
export interface TurnAnswer {
  content: string | null;
  /** Tool calls as `name(arguments)`. */
  toolCalls?: string[];
  verdict?: 'CORRECT' | 'WRONG';
  /** Code of the failure that left the turn unscored. */
  error?: string;
}
