import { ConfigError, InputError, describeValue, didYouMean } from '../errors.js';
import { callCost, PriceTable } from './pricing.js';
import { checkTokenCounts } from './token-counts.js';

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

/** Options of a cost tracker; an unknown key is refused (ConfigError with a did-you-mean). */
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

/** Usage of one request as the provider reports it; `inputTokens` counts every prompt token. Unknown keys are refused. */
export interface RequestUsage {
  model: string;
  /** Prompt tokens read from the cache. @default 0 */
  cachedTokens?: number;
  /** Prompt tokens written to the cache (Anthropic). @default 0 */
  cacheWriteTokens?: number;
  /** A Date, an ISO 8601 time or a YYYY-MM-DD day of the calendar (InputError otherwise). @default the tracker's clock */
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
    const unknown = unknownKey(options, TRACKER_OPTION_KEYS);
    if (unknown !== undefined) throw new ConfigError(`CostTracker option ${JSON.stringify(unknown)} is not known`, didYouMean(unknown, TRACKER_OPTION_KEYS));
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
    if (typeof usage !== 'object' || usage === null || typeof usage.model !== 'string') {
      throw new InputError(`usage = ${describeValue(usage)} must be an object naming the model`, "pass e.g. { model: 'gpt-4o', cachedTokens: 0 }");
    }
    const unknown = unknownKey(usage, USAGE_KEYS);
    if (unknown !== undefined) throw new InputError(`trackRequest usage key ${JSON.stringify(unknown)} is not known`, didYouMean(unknown, USAGE_KEYS));
    const cachedTokens = usage.cachedTokens ?? 0;
    const cacheWriteTokens = usage.cacheWriteTokens ?? 0;
    checkTokenCounts(
      { inputTokens, outputTokens, cachedTokens, cacheWriteTokens },
      { input: 'inputTokens', cached: 'cachedTokens', cacheWrite: 'cacheWriteTokens' },
      'pass the counts the provider reported',
    );
    const price = this.prices.get(usage.model);
    const costUsd = callCost(price, { input: inputTokens, cached: cachedTokens, cacheWrite: cacheWriteTokens, output: outputTokens });
    const day = this.dayOf(usage.at === undefined ? this.clock() : usage.at);
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

  /**
   * Totals per model, by model name, over the days of `period`: a year YYYY, a month YYYY-MM or a
   * day YYYY-MM-DD (InputError for anything else). @default all
   */
  usage(period = ''): Record<string, ModelUsage> {
    if (period !== '') checkPeriod(period);
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

  /** The day key of a Date, an ISO 8601 time or a YYYY-MM-DD date, in the tracker's time zone. */
  private dayOf(date: Date | string): string {
    let time: unknown = date;
    if (typeof date === 'string') {
      if (DAY.test(date)) return checkDay(date, date);
      if (!ISO_TIME.test(date)) throw badDate(date);
      checkDay(date.slice(0, 10), date);
      time = new Date(date);
    }
    if (!(time instanceof Date) || Number.isNaN(time.getTime())) throw badDate(date);
    return this.dayFormat.format(time);
  }

  private monthOf(month: Date | string): string {
    if (typeof month === 'string' && MONTH.test(month)) return checkPeriod(month);
    return this.dayOf(month).slice(0, 7);
  }
}

const TRACKER_OPTION_KEYS: readonly (keyof CostTrackerOptions)[] = ['prices', 'dailyLimitUsd', 'alertAt', 'onAlert', 'timeZone', 'clock'];
const USAGE_KEYS: readonly (keyof RequestUsage)[] = ['model', 'cachedTokens', 'cacheWriteTokens', 'at'];

/** The first own key of `object` that is not in `known`. */
function unknownKey(object: object, known: readonly string[]): string | undefined {
  return Object.keys(object).find((key) => !known.includes(key));
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTH = /^\d{4}-\d{2}$/;
const YEAR = /^\d{4}$/;
/** An ISO 8601 time as Date parses it: a date, a time to the minute at least, an optional zone. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?$/;

function badDate(date: unknown): InputError {
  return new InputError(`date ${describeValue(date)} is not a valid date`, "pass a Date, an ISO 8601 time (2024-03-05T14:30:00Z) or YYYY-MM-DD (2024-03-05)");
}

/** `day` (YYYY-MM-DD, from `given`) if it is a day of the calendar, else an InputError: Date would roll 2024-02-30 over to March. */
function checkDay(day: string, given: string): string {
  const [year, month, dayOfMonth] = day.split('-').map(Number) as [number, number, number];
  const time = new Date(Date.UTC(year, month - 1, dayOfMonth));
  if (month < 1 || month > 12 || dayOfMonth < 1 || time.getUTCMonth() !== month - 1) throw badDate(given);
  return day;
}

/** `period` if it is a year YYYY, a month YYYY-MM or a day YYYY-MM-DD of the calendar. */
function checkPeriod(period: unknown): string {
  const fix = 'pass a year (2024), a month (2024-03) or a day (2024-03-05), zero-padded, or nothing for all';
  if (typeof period !== 'string') throw new InputError(`period = ${describeValue(period)} is not a period`, fix);
  if (YEAR.test(period)) return period;
  if (MONTH.test(period)) {
    const month = Number(period.slice(5));
    if (month >= 1 && month <= 12) return period;
  } else if (DAY.test(period)) {
    try {
      return checkDay(period, period);
    } catch {
      // refused below, as a period
    }
  }
  throw new InputError(`period = ${describeValue(period)} is not a year, month or day of the calendar`, fix);
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
