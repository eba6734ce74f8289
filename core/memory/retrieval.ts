import { smartTruncate } from '../budget/truncate.js';
import { ConfigError, InputError } from '../errors.js';
import type { TokenCounter } from '../tokens/counter.js';
import { lexicalQuery, lexicalText } from './hybrid.js';
import type { LongTermMemory } from './long-term.js';
import type { ShortTermMemory } from './short-term.js';
import type { Memory, MemoryType } from './types.js';
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
  working?: WorkingMemory;
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
  private readonly working: WorkingMemory | undefined;
  private readonly shortTerm: ShortTermMemory | undefined;
  private readonly counter: TokenCounter;
  private readonly reranker: Reranker;
  private readonly settings: Required<Pick<MemoryRetrievalOptions, 'candidates' | 'sessions' | 'neighbours' | 'workingShare' | 'intentTypes'>>;

  /** @throws ConfigError for a share outside 0..1 or a count that is not a whole number 0 or more. */
  constructor(options: MemoryRetrievalOptions) {
    this.longTerm = options.longTerm;
    this.working = options.working;
    this.shortTerm = options.shortTerm;
    this.counter = options.counter;
    this.reranker = options.reranker ?? new ContextReranker();
    const { candidates = 60, sessions = 3, neighbours = 1, workingShare = 0.5, intentTypes = {} } = options;
    this.settings = { candidates, sessions, neighbours, workingShare, intentTypes };
    if (!(workingShare >= 0 && workingShare <= 1)) throw new ConfigError(`workingShare = ${workingShare} must be between 0 and 1`, 'pass a share such as 0.5');
    for (const [key, value] of Object.entries({ candidates, sessions, neighbours })) {
      if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${key} = ${value} must be a whole number, 0 or more`, `leave ${key} out for its default`);
    }
  }

  /** The context for `query` within `maxTokens`, with the items kept and their scores. */
  async retrieve(query: string, options: RetrieveOptions): Promise<RetrievalResult> {
    const maxTokens = Math.floor(options.maxTokens);
    if (!(maxTokens >= 0)) throw new InputError(`maxTokens = ${options.maxTokens} must be 0 or more`, 'pass the token budget of the memory context');
    const now = options.now ?? this.longTerm.now();
    const working = this.workingText(Math.floor(maxTokens * this.settings.workingShare));
    const candidates = [...this.sessionCandidates(query, options.userId, now), ...(await this.memoryCandidates(query, options, now))];
    const ranked = await this.reranker.rerank(query, candidates, { userId: options.userId, longTerm: this.longTerm, now });
    const used = working ? this.counter.count(`${WORKING_TITLE}\n${working}`) + 2 : 0;
    return this.fit(working, await this.fill(ranked, maxTokens - used), maxTokens);
  }

  private workingText(maxTokens: number): string {
    const text = this.working?.getContext().text ?? '';
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
