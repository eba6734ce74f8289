import { ConfigError, InputError, describeValue } from '../errors.js';
import { callCost, PriceTable } from './pricing.js';

/** A daily-limit alert: `approaching` below 100% of the limit, `crossed` at or above it. */
export interface CostAlert {
  kind: 'approaching' | 'crossed';
  /** The configured fraction of the limit that was reached, e.g. 0.8. */
  threshold: number;
  /** The day (YYYY-MM-DD in the tracker's time zone) whose spend reached it. */
  day: string;
  limitUsd: number;
  spentUsd: number;
}

/** Options of a cost tracker. */
export interface CostTrackerOptions {
  /** @default the bundled prices */
  prices?: PriceTable;
  /** Daily spend limit in USD; no alerts without one. */
  dailyLimitUsd?: number;
  /** Fractions of the daily limit that alert, each once per day. @default [0.8, 1.0] */
  alertAt?: readonly number[];
  onAlert?: (alert: CostAlert) => void;
  /** IANA time zone whose midnights separate days and months. @default 'UTC' */
  timeZone?: string;
  /** The time of a request that gives no `at`. @default () => new Date() */
  clock?: () => Date;
}

/** Usage of one request as the provider reports it; `inputTokens` counts every prompt token. */
export interface RequestUsage {
  model: string;
  /** Prompt tokens read from the cache. @default 0 */
  cachedTokens?: number;
  /** Prompt tokens written to the cache (Anthropic). @default 0 */
  cacheWriteTokens?: number;
  /** @default the tracker's clock */
  at?: Date | string;
}

/** Token and cost totals of one model. */
export interface ModelUsage {
  requests: number;
  inputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** A month's projected spend: the observed daily average times the days of the month. */
export interface MonthProjection {
  month: string;
  daysInMonth: number;
  /** Days from the first tracked day to today (or the last tracked day, if later), quiet days included. */
  observedDays: number;
  dailyAverageUsd: number;
  projectedUsd: number;
}

/** Sums of floating-point costs drift; a nanodollar of slack keeps 8 x $0.10 at 80% of $1. */
const SLACK_USD = 1e-9;
const DAY_MS = 86_400_000;

/** Tracks the spend of live requests per day and model, projects a month and alerts on daily limits. */
export class CostTracker {
  private readonly prices: PriceTable;
  private readonly thresholds: number[];
  private readonly clock: () => Date;
  private readonly dayFormat: Intl.DateTimeFormat;
  /** Day (YYYY-MM-DD) -> model -> totals; memory grows with days and models, not requests. */
  private readonly days = new Map<string, Map<string, ModelUsage>>();
  /** `${day} ${threshold}` of alerts already fired. */
  private readonly fired = new Set<string>();

  constructor(private readonly options: CostTrackerOptions = {}) {
    this.prices = options.prices ?? new PriceTable();
    this.clock = options.clock ?? (() => new Date());
    this.thresholds = validateAlerts(options);
    const timeZone = options.timeZone ?? 'UTC';
    try {
      this.dayFormat = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch {
      throw new ConfigError(`timeZone = ${JSON.stringify(timeZone)} is not a known time zone`, 'use an IANA name such as "UTC" or "Europe/Berlin"');
    }
  }

  /** Records one request, fires any alert it triggers and returns its cost in USD. */
  trackRequest(inputTokens: number, outputTokens: number, usage: RequestUsage): number {
    const cachedTokens = usage.cachedTokens ?? 0;
    const cacheWriteTokens = usage.cacheWriteTokens ?? 0;
    checkTokens({ inputTokens, outputTokens, cachedTokens, cacheWriteTokens });
    const price = this.prices.get(usage.model);
    const costUsd = callCost(price, { input: inputTokens, cached: cachedTokens, cacheWrite: cacheWriteTokens, output: outputTokens });
    const day = this.dayOf(usage.at ?? this.clock());
    const models = this.days.get(day) ?? new Map<string, ModelUsage>();
    this.days.set(day, models);
    const request: ModelUsage = { requests: 1, inputTokens, cachedTokens, cacheWriteTokens, outputTokens, costUsd };
    const totals = models.get(usage.model);
    models.set(usage.model, totals ? addUsage(totals, request) : request);
    this.alert(day);
    return costUsd;
  }

  /** Spend of one day (a date, or YYYY-MM-DD). @default today */
  dailyCost(date: Date | string = this.clock()): number {
    return sumCost(this.usage(this.dayOf(date)));
  }

  /** Spend of one month (a date, or YYYY-MM). @default this month */
  monthlyCost(month: Date | string = this.clock()): number {
    return sumCost(this.usage(this.monthOf(month)));
  }

  /** Totals per model, by model name, over the days whose key starts with `period` (YYYY, YYYY-MM or YYYY-MM-DD). @default all */
  usage(period = ''): Record<string, ModelUsage> {
    const byModel = new Map<string, ModelUsage>();
    for (const [day, models] of this.days) {
      if (!day.startsWith(period)) continue;
      for (const [model, totals] of models) {
        const sum = byModel.get(model);
        byModel.set(model, sum ? addUsage(sum, totals) : { ...totals });
      }
    }
    return Object.fromEntries([...byModel].sort(([a], [b]) => a.localeCompare(b)));
  }

  /**
   * Projects a month's spend from all traffic tracked so far: total spend divided by the days
   * from the first tracked day to today (quiet days count as $0), times the days in the month.
   * @default month this month
   */
  projectMonth(month: Date | string = this.clock()): MonthProjection {
    const key = this.monthOf(month);
    const [year, monthNumber] = key.split('-').map(Number) as [number, number];
    const daysInMonth = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
    const tracked = [...this.days.keys()].sort();
    if (tracked.length === 0) return { month: key, daysInMonth, observedDays: 0, dailyAverageUsd: 0, projectedUsd: 0 };
    const last = [this.dayOf(this.clock()), tracked.at(-1)!].sort()[1]!;
    const observedDays = Math.round((Date.parse(last) - Date.parse(tracked[0]!)) / DAY_MS) + 1;
    const dailyAverageUsd = sumCost(this.usage()) / observedDays;
    return { month: key, daysInMonth, observedDays, dailyAverageUsd, projectedUsd: dailyAverageUsd * daysInMonth };
  }

  private alert(day: string): void {
    const limitUsd = this.options.dailyLimitUsd;
    if (limitUsd === undefined) return;
    const spentUsd = this.dailyCost(day);
    for (const threshold of this.thresholds) {
      const key = `${day} ${threshold}`;
      if (spentUsd + SLACK_USD < threshold * limitUsd || this.fired.has(key)) continue;
      this.fired.add(key);
      this.options.onAlert?.({ kind: threshold < 1 ? 'approaching' : 'crossed', threshold, day, limitUsd, spentUsd });
    }
  }

  private dayOf(date: Date | string): string {
    if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date)) return date;
    const time = typeof date === 'string' ? new Date(date) : date;
    if (Number.isNaN(time.getTime())) throw new InputError(`date ${describeValue(date)} is not a valid date`, 'pass a Date, an ISO 8601 time or YYYY-MM-DD');
    return this.dayFormat.format(time);
  }

  private monthOf(month: Date | string): string {
    return typeof month === 'string' && /^\d{4}-\d{2}$/.test(month) ? month : this.dayOf(month).slice(0, 7);
  }
}

function validateAlerts(options: CostTrackerOptions): number[] {
  const limit = options.dailyLimitUsd;
  if (limit !== undefined && !(Number.isFinite(limit) && limit > 0)) {
    throw new ConfigError(`dailyLimitUsd = ${describeValue(limit)} must be a positive number of USD`, 'pass e.g. dailyLimitUsd: 50, or leave it out for no alerts');
  }
  const thresholds = options.alertAt ?? [0.8, 1.0];
  for (const [index, threshold] of thresholds.entries()) {
    if (!(Number.isFinite(threshold) && threshold > 0)) {
      throw new ConfigError(`alertAt.${index} = ${describeValue(threshold)} must be a positive fraction of the daily limit`, 'use e.g. [0.8, 1.0] for 80% and 100%');
    }
  }
  return [...new Set(thresholds)].sort((a, b) => a - b);
}

function checkTokens(counts: Record<'inputTokens' | 'outputTokens' | 'cachedTokens' | 'cacheWriteTokens', number>): void {
  for (const [name, count] of Object.entries(counts)) {
    if (!Number.isInteger(count) || count < 0) throw new InputError(`${name} = ${describeValue(count)} must be a whole number of tokens, zero or more`, 'pass the counts the provider reported');
  }
  if (counts.cachedTokens + counts.cacheWriteTokens > counts.inputTokens) {
    throw new InputError(
      `cachedTokens + cacheWriteTokens = ${counts.cachedTokens + counts.cacheWriteTokens} exceed inputTokens = ${counts.inputTokens}`,
      'inputTokens counts every prompt token, cached and cache-written ones included (add Anthropic\'s cache_read and cache_creation tokens to its input_tokens)',
    );
  }
}

function addUsage(a: ModelUsage, b: ModelUsage): ModelUsage {
  return {
    requests: a.requests + b.requests,
    inputTokens: a.inputTokens + b.inputTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
  };
}

function sumCost(byModel: Record<string, ModelUsage>): number {
  return Object.values(byModel).reduce((sum, totals) => sum + totals.costUsd, 0);
}
