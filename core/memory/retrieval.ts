import { z } from 'zod';
import { smartTruncate } from '../budget/truncate.js';
import { ConfigError, InputError } from '../errors.js';
import type { TokenCounter } from '../tokens/counter.js';
import { lexicalQuery, lexicalText } from './hybrid.js';
import type { LongTermMemory } from './long-term.js';
import { parseOrThrow, shown, userIdSchema } from './options.js';
import type { ShortTermMemory } from './short-term.js';
import { MEMORY_TYPES, type Memory, type MemoryType } from './types.js';
import type { WorkingMemory } from './working-memory.js';

/** Where a retrieved item came from. */
export type MemorySource = 'working' | 'short-term' | 'long-term';

/** An item in the retrieved context, with the score it was ranked by. */
export interface RetrievedItem {
  source: MemorySource;
  id: string;
  content: string;
  score: number;
}

/** The retrieved context: its text, the items kept (best first, working context first) and its exact tokens. */
export interface RetrievalResult {
  text: string;
  items: RetrievedItem[];
  tokens: number;
}

/** What {@link MemoryRetrievalPipeline.retrieve} takes besides the query. */
export interface RetrieveOptions {
  /** Whose memories: never empty; must be the pipeline's `workingUserId` when it has working memory. */
  userId: string;
  /** The routed intent; narrows long-term search to the types `intentTypes` maps it to. */
  intent?: string;
  /** The context never exceeds this many tokens. */
  maxTokens: number;
  /** The moment recency is measured at. @default the long-term memory's clock */
  now?: Date;
}

/** A candidate for the context: short-term records carry their date, long-term ones their memory. */
export interface RerankCandidate extends RetrievedItem {
  source: 'short-term' | 'long-term';
  createdAt: string;
  memory?: Memory;
}

/** What a reranker may consult besides the candidates. */
export interface RerankContext {
  userId: string;
  longTerm: LongTermMemory;
  now: Date;
}

/** Reorders (and may add to or drop) candidates; the pipeline keeps them best first until the budget is full. */
export interface Reranker {
  rerank(query: string, candidates: readonly RerankCandidate[], context: RerankContext): RerankCandidate[] | Promise<RerankCandidate[]>;
}

/** Options of a {@link ContextReranker}. */
export interface ContextRerankerOptions {
  /** Share of a memory's score each neighbouring turn (same thread, position ±1) receives. @default 0.5 */
  neighbourWeight?: number;
}

/**
 * The default reranker. Long-term search already fused lexical and vector ranks with recency and
 * importance; this adds what a single memory cannot see: a turn next to a strong hit gets a share
 * of its score, since answers sit next to questions (on LoCoMo at 1,764 tokens, smoothing at 0.5
 * lifted evidence recall from 0.73 to 0.80, and 0.83 with the pipeline's neighbour expansion; a
 * near-duplicate penalty measured no change there and was left out, dedup on write already merges
 * near-duplicates).
 */
export class ContextReranker implements Reranker {
  private readonly neighbourWeight: number;

  constructor(options: ContextRerankerOptions = {}) {
    this.neighbourWeight = options.neighbourWeight ?? 0.5;
    if (!(this.neighbourWeight >= 0)) throw new ConfigError(`neighbourWeight = ${this.neighbourWeight} must be 0 or more`, 'pass a share such as 0.5, or 0 to turn smoothing off');
  }

  async rerank(_query: string, candidates: readonly RerankCandidate[], { longTerm }: RerankContext): Promise<RerankCandidate[]> {
    const scored = new Map(candidates.map((candidate) => [candidate.id, { ...candidate }]));
    if (this.neighbourWeight > 0) {
      for (const candidate of candidates) {
        if (!candidate.memory) continue;
        for (const neighbour of await longTerm.neighbours(candidate.memory.id, 1)) {
          const entry = scored.get(neighbour.id) ?? longTermCandidate(neighbour, 0);
          entry.score += this.neighbourWeight * candidate.score;
          scored.set(neighbour.id, entry);
        }
      }
    }
    return [...scored.values()].sort(byScore);
  }
}

function byScore(a: RerankCandidate, b: RerankCandidate): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function longTermCandidate(memory: Memory, score: number): RerankCandidate {
  return { source: 'long-term', id: memory.id, content: memory.content, score, createdAt: memory.createdAt, memory };
}

/** Options of a {@link MemoryRetrievalPipeline}. */
export interface MemoryRetrievalOptions {
  longTerm: LongTermMemory;
  /**
   * The current conversation of one user, `workingUserId`: working memory belongs to one
   * conversation, so a pipeline with it retrieves for that user only (a retrieve for another
   * user is refused rather than shown someone else's conversation).
   */
  working?: WorkingMemory;
  /** The user `working` belongs to; required with `working`, refused without it. */
  workingUserId?: string;
  shortTerm?: ShortTermMemory;
  counter: TokenCounter;
  /** @default new ContextReranker() */
  reranker?: Reranker;
  /** Long-term hits considered before reranking. @default 60 */
  candidates?: number;
  /** Short-term session records considered. @default 3 */
  sessions?: number;
  /** Turns on each side of a kept conversational memory that join it while room is left. @default 1 */
  neighbours?: number;
  /** Most of the budget the working context may take; a longer one loses its oldest part. @default 0.5 */
  workingShare?: number;
  /** Memory types searched for an intent; an intent not listed searches every type. @default {} */
  intentTypes?: Readonly<Record<string, readonly MemoryType[]>>;
}

const OPTION_KEYS = ['longTerm', 'working', 'workingUserId', 'shortTerm', 'counter', 'reranker', 'candidates', 'sessions', 'neighbours', 'workingShare', 'intentTypes'] as const;
const wholeCount = z.number().int('must be a whole number, 0 or more').min(0, 'must be a whole number, 0 or more');
const present = (what: string) => z.custom<object>((value) => value !== null && typeof value === 'object', `must be ${what}`);
const optionsSchema = z.strictObject({
  longTerm: present('a LongTermMemory'),
  working: present('a WorkingMemory').optional(),
  workingUserId: userIdSchema.optional(),
  shortTerm: present('a ShortTermMemory').optional(),
  counter: present('a TokenCounter'),
  reranker: present('a Reranker').optional(),
  candidates: wholeCount.default(60),
  sessions: wholeCount.default(3),
  neighbours: wholeCount.default(1),
  workingShare: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.5),
  intentTypes: z.record(z.string(), z.array(z.enum(MEMORY_TYPES as [MemoryType, ...MemoryType[]], { error: `must list memory types (${MEMORY_TYPES.join(', ')})` }))).default({}),
});
const retrieveSchema = z.strictObject({
  userId: userIdSchema,
  intent: z.string('must be an intent name (a string)').optional(),
  maxTokens: z.number('must be a number of tokens').min(0, 'must be 0 or more'),
  now: z.date('must be a Date').refine((date) => !Number.isNaN(date.getTime()), 'must be a valid Date').optional(),
});

interface Section {
  title: string;
  items: RerankCandidate[];
}

const SECTION_TITLES = { 'short-term': '# Recent sessions', 'long-term': '# Long-term memory' } as const;
const WORKING_TITLE = '# Current conversation';
const dayOf = (iso: string) => iso.slice(0, 10);

/**
 * Memory retrieval for one query: the working context (the conversation so far), the user's
 * recent session records and long-term hits, reranked, kept best first within the token budget
 * (with neighbouring turns of kept conversational memories), and rendered by section, memories in
 * date order under one date line per day. The text never exceeds `maxTokens`.
 */
export class MemoryRetrievalPipeline {
  private readonly longTerm: LongTermMemory;
  private readonly working: { memory: WorkingMemory; userId: string } | undefined;
  private readonly shortTerm: ShortTermMemory | undefined;
  private readonly counter: TokenCounter;
  private readonly reranker: Reranker;
  private readonly settings: Required<Pick<MemoryRetrievalOptions, 'candidates' | 'sessions' | 'neighbours' | 'workingShare' | 'intentTypes'>>;

  /**
   * @throws ConfigError for an unknown option, a share outside 0..1, a count that is not a whole
   * number 0 or more, or `working` without `workingUserId` (or the reverse).
   */
  constructor(options: MemoryRetrievalOptions) {
    const parsed = parseOrThrow(optionsSchema, options, {
      what: 'invalid memory retrieval option',
      hint: 'leave it out for its default or pass a value in range (shares 0..1, counts whole numbers 0 or more)',
      error: ConfigError,
      known: { '': OPTION_KEYS },
    });
    this.longTerm = options.longTerm;
    this.shortTerm = options.shortTerm;
    this.counter = options.counter;
    this.reranker = options.reranker ?? new ContextReranker();
    const { candidates, sessions, neighbours, workingShare, intentTypes } = parsed;
    this.settings = { candidates, sessions, neighbours, workingShare, intentTypes };
    const { working, workingUserId } = options;
    if (working && workingUserId === undefined) {
      throw new ConfigError('invalid memory retrieval option: working is set but workingUserId is missing', 'pass workingUserId, the user whose conversation the working memory holds: the pipeline shows it to that user only');
    }
    if (!working && workingUserId !== undefined) {
      throw new ConfigError(`invalid memory retrieval option: workingUserId = ${shown(workingUserId)} is set but working is missing`, 'pass the working memory of that user, or leave workingUserId out');
    }
    this.working = working && workingUserId !== undefined ? { memory: working, userId: workingUserId } : undefined;
  }

  /**
   * The context for `query` within `maxTokens`, with the items kept and their scores.
   * @throws InputError for a missing or blank userId, a userId other than the working memory's, or a bad maxTokens or now.
   */
  async retrieve(query: string, options: RetrieveOptions): Promise<RetrievalResult> {
    if (typeof query !== 'string') throw new InputError(`invalid retrieve: query = ${shown(query)} must be a string`, 'pass the user query as text');
    parseOrThrow(retrieveSchema, options, {
      what: 'invalid retrieve option',
      hint: 'pass { userId, maxTokens } (the user whose memories to retrieve, the token budget 0 or more), and optionally intent and now (a valid Date)',
      error: InputError,
      known: { '': ['userId', 'intent', 'maxTokens', 'now'] },
    });
    if (this.working && options.userId !== this.working.userId) {
      throw new InputError(
        `invalid retrieve option: userId = ${shown(options.userId)} is not the user of this pipeline's working memory (${shown(this.working.userId)})`,
        "working memory holds one user's conversation: retrieve for that user, or use a pipeline without working memory (or with that user's) for another user",
      );
    }
    const maxTokens = Math.floor(options.maxTokens);
    const now = options.now ?? this.longTerm.now();
    const working = this.workingText(Math.floor(maxTokens * this.settings.workingShare));
    const candidates = [...this.sessionCandidates(query, options.userId, now), ...(await this.memoryCandidates(query, options, now))];
    const ranked = await this.reranker.rerank(query, candidates, { userId: options.userId, longTerm: this.longTerm, now });
    const used = working ? this.counter.count(`${WORKING_TITLE}\n${working}`) + 2 : 0;
    return this.fit(working, await this.fill(ranked, maxTokens - used), maxTokens);
  }

  private workingText(maxTokens: number): string {
    const text = this.working?.memory.getContext().text ?? '';
    return text === '' ? '' : smartTruncate(text, Math.max(0, maxTokens - this.counter.count(WORKING_TITLE) - 2), this.counter, 'end').text;
  }

  private sessionCandidates(query: string, userId: string, now: Date): RerankCandidate[] {
    if (!this.shortTerm || this.settings.sessions === 0) return [];
    const queryWords = new Set(lexicalQuery(query).split(' ').filter(Boolean));
    return this.shortTerm.recent(userId, { query, k: this.settings.sessions }).map((record) => {
      const content = [record.summary, ...record.facts].filter((part) => part.trim() !== '').join(' ');
      const words = new Set(lexicalText(content).split(' '));
      const overlap = queryWords.size === 0 ? 0 : [...queryWords].filter((word) => words.has(word)).length / queryWords.size;
      const score = this.longTerm.scorer.score({ createdAt: record.createdAt, importance: 0.5 }, overlap, now).score;
      return { source: 'short-term', id: record.id, content, score, createdAt: record.createdAt };
    });
  }

  private async memoryCandidates(query: string, { userId, intent }: RetrieveOptions, now: Date): Promise<RerankCandidate[]> {
    if (this.settings.candidates === 0) return [];
    const types = intent === undefined ? undefined : this.settings.intentTypes[intent];
    const hits = await this.longTerm.search(query, { userId, k: this.settings.candidates, now, ...(types ? { types } : {}) });
    return hits.map((hit) => longTermCandidate(hit.memory, hit.score));
  }

  /** Candidates best first while they fit `room` by per-line counts, each kept memory followed by its neighbours. */
  private async fill(ranked: readonly RerankCandidate[], room: number): Promise<RerankCandidate[]> {
    const byId = new Map(ranked.map((candidate) => [candidate.id, candidate]));
    const kept = new Map<string, RerankCandidate>();
    // Headings already paid for: a section title, or a date line within a section.
    const headings = new Set<string>();
    let used = 0;
    const keep = (candidate: RerankCandidate): boolean => {
      if (kept.has(candidate.id)) return true;
      const day = `${candidate.source}:${dayOf(candidate.createdAt)}`;
      // Each line is counted as render() writes it, newline included: the exact count of the
      // rendered text (in fit) then finds these lines in the count cache.
      const sectionCost = headings.has(candidate.source) ? 0 : this.counter.count(`${SECTION_TITLES[candidate.source]}\n`) + 1;
      const dayCost = headings.has(day) ? 0 : this.counter.count(`[${dayOf(candidate.createdAt)}]\n`);
      const cost = this.counter.count(`- ${candidate.content}\n`) + sectionCost + dayCost;
      if (used + cost > room) return false;
      kept.set(candidate.id, candidate);
      headings.add(candidate.source).add(day);
      used += cost;
      return true;
    };
    for (const candidate of ranked) {
      if (!keep(candidate) || !candidate.memory) continue;
      for (const neighbour of await this.longTerm.neighbours(candidate.memory.id, this.settings.neighbours)) keep(byId.get(neighbour.id) ?? longTermCandidate(neighbour, 0));
    }
    return [...kept.values()].sort(byScore);
  }

  /** Renders, then drops the lowest-scored items while the exact count is over budget. */
  private fit(working: string, kept: RerankCandidate[], maxTokens: number): RetrievalResult {
    let text = render(working, kept);
    let tokens = this.counter.count(text);
    while (tokens > maxTokens && kept.length > 0) {
      kept = kept.slice(0, -1);
      text = render(working, kept);
      tokens = this.counter.count(text);
    }
    if (tokens > maxTokens) ({ text, tokens } = smartTruncate(text, maxTokens, this.counter, 'end'));
    const workingItem: RetrievedItem[] = working ? [{ source: 'working', id: 'working', content: working, score: 1 }] : [];
    const items = [...workingItem, ...kept.map(({ source, id, content, score }) => ({ source, id, content, score }))];
    return { text, items, tokens };
  }
}

function render(working: string, kept: readonly RerankCandidate[]): string {
  const sections: Section[] = (['short-term', 'long-term'] as const).map((source) => ({
    title: SECTION_TITLES[source],
    items: kept.filter((item) => item.source === source).sort(chronological),
  }));
  const parts = working ? [`${WORKING_TITLE}\n${working}`] : [];
  for (const { title, items } of sections) {
    if (items.length === 0) continue;
    const lines = [title];
    let day = '';
    for (const item of items) {
      if (dayOf(item.createdAt) !== day) lines.push(`[${(day = dayOf(item.createdAt))}]`);
      lines.push(`- ${item.content}`);
    }
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n');
}

/** By date, then by position in the conversation, then by id. */
function chronological(a: RerankCandidate, b: RerankCandidate): number {
  // ISO 8601 timestamps of one format sort by their characters.
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return positionOf(a) - positionOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const positionOf = (c: RerankCandidate) => (typeof c.memory?.metadata.position === 'number' ? c.memory.metadata.position : 0);
