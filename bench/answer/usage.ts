import { round, type AnswerEvaluation, type EvaluationUsage, type PriceTable, type TurnRow } from '../../core/index.js';
import { dollars, priceOf, type CallTokens } from './spend.js';

type Entry = AnswerEvaluation['usage'][number];

const emptyUsage = (model: string, priced: boolean): EvaluationUsage => ({ model, calls: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costUsd: priced ? 0 : null });

/** Adds up the evaluation's calls per dataset x strategy, at list price. */
export class UsageBook {
  private readonly entries_ = new Map<string, Entry>();
  private readonly answerPriced: boolean;
  private readonly judgePriced: boolean;

  constructor(
    private readonly answerModel: string,
    private readonly judgeModel: string | undefined,
    private readonly prices: PriceTable,
  ) {
    this.answerPriced = priceOf(prices, answerModel) !== undefined;
    this.judgePriced = judgeModel === undefined || priceOf(prices, judgeModel) !== undefined;
  }

  /** True when every model of the evaluation has a price. */
  get priced(): boolean {
    return this.answerPriced && this.judgePriced;
  }

  /** The entry of the row's dataset x strategy, created on first sight (register turns in replay order for a stable order). */
  entry(row: TurnRow): Entry {
    const key = `${row.dataset}\u0000${row.strategy}`;
    let entry = this.entries_.get(key);
    if (!entry) {
      entry = {
        dataset: row.dataset,
        strategy: row.strategy,
        turns: 0,
        failed: 0,
        answer: emptyUsage(this.answerModel, this.answerPriced),
        judge: this.judgeModel ? emptyUsage(this.judgeModel, this.judgePriced) : null,
      };
      this.entries_.set(key, entry);
    }
    return entry;
  }

  add(row: TurnRow, role: 'answer' | 'judge', tokens: CallTokens): void {
    const entry = this.entry(row);
    const usage = role === 'answer' ? entry.answer : entry.judge!;
    if (role === 'answer') entry.turns++;
    usage.calls++;
    usage.inputTokens += tokens.input;
    usage.cachedInputTokens += tokens.cached;
    usage.outputTokens += tokens.output;
    const cost = dollars(priceOf(this.prices, usage.model), tokens);
    if (usage.costUsd !== null && cost !== null) usage.costUsd = round(usage.costUsd + cost, 8);
  }

  failed(row: TurnRow): void {
    this.entry(row).failed++;
  }

  entries(): Entry[] {
    return [...this.entries_.values()];
  }
}
