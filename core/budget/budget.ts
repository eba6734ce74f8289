import type { ChatMessage } from '../messages.js';
import { ConfigError, CtxbenchError, InputError, didYouMean } from '../errors.js';
import { sharedCounter, type TokenCounter } from '../tokens/counter.js';
import { countPieces } from '../tokens/pieces.js';
import { ExtractiveCompressor, type Compressor } from './compressor.js';
import { defineProfile, TECHCORP_PROFILE, type BudgetProfile, type BudgetProfileInput, type SectionAllocation } from './profile.js';
import { renderMessages, renderText, renderTextPieces, type RenderedSection } from './render.js';
import { smartTruncate, type KeepEnd } from './truncate.js';

/** A section name that the profile does not allocate. */
export class UnknownSectionError extends CtxbenchError {
  constructor(readonly section: string, known: readonly string[]) {
    super('E_UNKNOWN_SECTION', `unknown section "${section}": the budget profile has no allocation for it`, `${didYouMean(section, known)}; or add an allocation for it to the profile`);
  }
}

/** The never-truncated sections alone do not fit the total budget. */
export class BudgetOverflowError extends CtxbenchError {
  constructor(
    readonly sections: ReadonlyArray<{ name: string; tokens: number }>,
    readonly total: number,
    readonly overBy: number,
  ) {
    const list = sections.map((s) => `${s.name} (${s.tokens} tokens)`).join(', ');
    super(
      'E_BUDGET_OVERFLOW',
      `the fixed priority-1 sections ${list} exceed the total budget of ${total} tokens by ${overBy} tokens`,
      'raise the total budget, lower those sections\' allocations, or make one of them compressible',
    );
  }
}

/** Usage of one section after adding and overflow handling. */
export interface SectionUsage {
  name: string;
  priority: number;
  compressible: boolean;
  allocation: number;
  /** Tokens of the content as it stands now. */
  tokens: number;
  /** Tokens of the content as it was added. */
  originalTokens: number;
  truncated: boolean;
  compressed: boolean;
  /** Tokens removed by truncation and compression together. */
  cutTokens: number;
}

/** What `addSection` did with the content. */
export type AddSectionResult = Pick<SectionUsage, 'name' | 'tokens' | 'originalTokens' | 'truncated' | 'cutTokens'>;

/** One step of overflow handling. */
export interface OverflowAction {
  section: string;
  action: 'compressed' | 'truncated';
  fromTokens: number;
  toTokens: number;
}

/** The assembled context, as text and as chat messages, with its exact token counts. */
export interface BuiltContext {
  text: string;
  messages: ChatMessage[];
  /** Tokens of `text`. */
  tokens: number;
  /** Prompt tokens of `messages` as the Chat Completions API bills them (0 when there are none). */
  messageTokens: number;
  total: number;
  sections: SectionUsage[];
  overflow: OverflowAction[];
}

/** Options of a {@link ContextBudget}. */
export interface ContextBudgetOptions {
  /** @default TECHCORP_PROFILE */
  profile?: BudgetProfile | BudgetProfileInput;
  /** @default sharedCounter('gpt-4o') */
  counter?: TokenCounter;
  /** @default new ExtractiveCompressor() */
  compressor?: Compressor;
  /**
   * Compression keeps at least this share of a section's tokens; what is still over budget
   * afterwards is truncated, lowest priority first. @default 0.25
   */
  compressionFloor?: number;
}

interface SectionState extends RenderedSection {
  order: number;
  originalTokens: number;
  tokens: number;
  truncated: boolean;
  compressed: boolean;
}

/**
 * Enforces a token budget per section and in total. After {@link build}, the context's token
 * count (text form and message form, by the same tokenizer) never exceeds the total budget.
 */
export class ContextBudget {
  readonly profile: BudgetProfile;
  readonly counter: TokenCounter;
  private readonly compressor: Compressor;
  private readonly compressionFloor: number;
  private readonly allocations: Map<string, { allocation: SectionAllocation; order: number }>;
  private readonly sections = new Map<string, SectionState>();
  private readonly actions: OverflowAction[] = [];

  constructor(options: ContextBudgetOptions = {}) {
    this.profile = options.profile ? defineProfile(options.profile) : TECHCORP_PROFILE;
    this.counter = options.counter ?? sharedCounter('gpt-4o');
    this.compressor = options.compressor ?? new ExtractiveCompressor();
    this.compressionFloor = options.compressionFloor ?? 0.25;
    if (!(this.compressionFloor >= 0 && this.compressionFloor <= 1)) {
      throw new ConfigError(`compressionFloor = ${this.compressionFloor} must be between 0 and 1`, 'pass a share such as 0.25');
    }
    this.allocations = new Map(this.profile.sections.map((allocation, order) => [allocation.name, { allocation, order }]));
  }

  /** Adds (or replaces) a section, truncating it to its allocation when it is larger. */
  addSection(name: string, content: string): AddSectionResult {
    const entry = this.allocations.get(name);
    if (!entry) throw new UnknownSectionError(name, [...this.allocations.keys()]);
    if (typeof content !== 'string') {
      throw new InputError(`section "${name}" content must be a string, got ${content === null ? 'null' : typeof content}`, 'render the value to text (for example JSON.stringify) before adding it');
    }
    const { allocation, order } = entry;
    const originalTokens = this.counter.count(content);
    const cut = smartTruncate(content, allocation.budget, this.counter, keepEndOf(allocation));
    this.sections.set(name, {
      allocation,
      order,
      content: cut.text,
      originalTokens,
      tokens: cut.tokens,
      truncated: cut.cutTokens > 0,
      compressed: false,
    });
    return { name, tokens: cut.tokens, originalTokens, truncated: cut.cutTokens > 0, cutTokens: cut.cutTokens };
  }

  /** Tokens still free under the total budget, framing included (negative while over budget). */
  remaining(): number {
    return this.profile.total - this.measure();
  }

  /** Per-section usage in profile order. */
  usage(): SectionUsage[] {
    return this.ordered().map((s) => ({
      name: s.allocation.name,
      priority: s.allocation.priority,
      compressible: s.allocation.compressible,
      allocation: s.allocation.budget,
      tokens: s.tokens,
      originalTokens: s.originalTokens,
      truncated: s.truncated,
      compressed: s.compressed,
      cutTokens: s.originalTokens - s.tokens,
    }));
  }

  /**
   * Brings the total under budget: first compresses the lowest-priority compressible sections,
   * then truncates the lowest-priority sections that are not fixed at priority 1.
   * @throws BudgetOverflowError when the fixed priority-1 sections alone exceed the budget.
   */
  handleOverflow(): OverflowAction[] {
    const steps: OverflowAction[] = [];
    let over = this.measure() - this.profile.total;
    if (over <= 0) return steps;
    this.assertFixedSectionsFit();
    for (const phase of ['compressed', 'truncated'] as const) {
      // A pass can leave a token or two over where joined sections tokenize differently; repeat.
      for (let pass = 0; pass < 4 && over > 0; pass++) {
        for (const victim of this.victims(phase)) {
          if (over <= 0) break;
          if (phase === 'compressed') {
            const target = Math.max(0, victim.tokens - over, Math.ceil(victim.originalTokens * this.compressionFloor));
            if (target >= victim.tokens) continue;
            steps.push(this.compress(victim, target));
          } else {
            steps.push(this.truncate(victim, Math.max(0, victim.tokens - over)));
          }
          over = this.measure() - this.profile.total;
        }
      }
    }
    if (over > 0) {
      // Last resort, never reached in the property tests: drop every section that may be cut.
      for (const victim of this.victims('truncated')) steps.push(this.truncate(victim, 0));
      over = this.measure() - this.profile.total;
      if (over > 0) throw this.overflowError(over);
    }
    this.actions.push(...steps);
    return steps;
  }

  /** Handles overflow, then renders the context deterministically in profile order. */
  build(): BuiltContext {
    this.handleOverflow();
    const sections = this.ordered();
    const text = renderText(sections);
    const messages = renderMessages(sections);
    return {
      text,
      messages,
      tokens: countPieces(this.counter, renderTextPieces(sections)),
      messageTokens: this.countRequest(messages),
      total: this.profile.total,
      sections: this.usage(),
      overflow: [...this.actions],
    };
  }

  /** Removes every section, keeping the profile. */
  reset(): void {
    this.sections.clear();
    this.actions.length = 0;
  }

  private ordered(): SectionState[] {
    return [...this.sections.values()].sort((a, b) => a.order - b.order);
  }

  /** Exact tokens of the larger of the two rendered forms. */
  private measure(sections = this.ordered()): number {
    return Math.max(countPieces(this.counter, renderTextPieces(sections)), this.countRequest(renderMessages(sections)));
  }

  /** Billed prompt tokens of the message form; an empty context is no request at all. */
  private countRequest(messages: ChatMessage[]): number {
    return messages.length === 0 ? 0 : this.counter.countMessages(messages);
  }

  private victims(phase: 'compressed' | 'truncated'): SectionState[] {
    return this.ordered()
      .filter((s) => s.tokens > 0 && (phase === 'compressed' ? s.allocation.compressible : !isFixed(s.allocation)))
      .sort((a, b) => b.allocation.priority - a.allocation.priority || b.order - a.order);
  }

  private compress(section: SectionState, target: number): OverflowAction {
    const fromTokens = section.tokens;
    const compressed = this.compressor.compress(section.content, target, { counter: this.counter, keep: keepEndOf(section.allocation) });
    // A plug-in compressor may overshoot its target; the budget guarantee must not depend on it.
    const fitted = smartTruncate(compressed, target, this.counter, keepEndOf(section.allocation));
    section.content = fitted.text;
    section.tokens = fitted.tokens;
    section.compressed = true;
    return { section: section.allocation.name, action: 'compressed', fromTokens, toTokens: section.tokens };
  }

  private truncate(section: SectionState, target: number): OverflowAction {
    const fromTokens = section.tokens;
    const cut = smartTruncate(section.content, target, this.counter, keepEndOf(section.allocation));
    section.content = cut.text;
    section.tokens = cut.tokens;
    section.truncated = true;
    return { section: section.allocation.name, action: 'truncated', fromTokens, toTokens: section.tokens };
  }

  private assertFixedSectionsFit(): void {
    const fixed = this.ordered().filter((s) => isFixed(s.allocation) && s.tokens > 0);
    const over = this.measure(fixed) - this.profile.total;
    if (over > 0) throw this.overflowError(over, fixed);
  }

  private overflowError(over: number, fixed = this.ordered().filter((s) => isFixed(s.allocation) && s.tokens > 0)): BudgetOverflowError {
    return new BudgetOverflowError(fixed.map((s) => ({ name: s.allocation.name, tokens: s.tokens })), this.profile.total, over);
  }
}

function isFixed(allocation: SectionAllocation): boolean {
  return allocation.priority === 1 && !allocation.compressible;
}

function keepEndOf(allocation: SectionAllocation): KeepEnd {
  return allocation.kind === 'conversation' ? 'end' : 'start';
}
