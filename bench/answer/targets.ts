import { queryOf, type AnswerEvaluation, type AssembledContext, type Episode, type ToolCall, type Turn, type TurnRow } from '../../core/index.js';

/** A replayed turn as the runner hands it to an evaluator: its row, the context sent, and where it came from. */
export interface ReplayedTurn {
  row: TurnRow;
  context: AssembledContext;
  episode: Readonly<Episode>;
  turn: Readonly<Turn>;
}

/** Sees every replayed turn, then scores the turn rows before they are aggregated (the answer evaluation). */
export interface TurnEvaluator {
  observe(turn: ReplayedTurn): void;
  finish(signal?: AbortSignal): Promise<AnswerEvaluation>;
}

/** What a turn's reply can be scored against; undefined when there is nothing (then nothing is sent). */
export interface Targets {
  /** The gold answer and the question it answers (LoCoMo). */
  gold?: { question: string; answer: string };
  /** The recorded agent's next action: its first tool call (tau-bench, ABCD, chat logs). */
  action?: ToolCall;
}

/** The gold answer of the turn's evidence probe, and the recorded agent's tool call at the turn. */
export function targetsOf({ episode, turn }: Pick<ReplayedTurn, 'episode' | 'turn'>): Targets | undefined {
  const evidence = turn.probes.find((probe) => probe.kind === 'evidence' && probe.answer !== undefined);
  const gold = evidence?.kind === 'evidence' ? { question: queryOf(episode.messages.slice(0, turn.at), turn), answer: evidence.answer! } : undefined;
  const recorded = episode.messages[turn.at];
  const action = recorded?.role === 'assistant' ? recorded.tool_calls?.[0] : undefined;
  if (!gold && !action) return undefined;
  return { ...(gold ? { gold } : {}), ...(action ? { action } : {}) };
}
