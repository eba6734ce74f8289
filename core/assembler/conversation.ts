import { ConfigError, InputError } from '../errors.js';
import { messageToText, sameMessage, type ChatMessage } from '../messages.js';
import type { LongTermMemory } from '../memory/long-term.js';
import { userIdSchema } from '../memory/options.js';
import type { WorkingMemory } from '../memory/working-memory.js';
import type { Assembly, IntentRouting, ProductionContextAssembler } from './assembler.js';

/** Words of customer text a conversation's router reads by default. */
export const ROUTED_WORDS = 120;

/**
 * The customer's words a router reads for a turn: the query first, then the customer's earlier
 * messages, newest first, cut to `words` words. A reply such as "Crystal Minh" says nothing of
 * the intent by itself; with what the customer said before it, the opening request still counts.
 */
export function customerWordsNewestFirst(query: string, history: readonly ChatMessage[], words: number): string {
  const said = history.filter((m) => m.role === 'user' && m.content && m.content !== query).map((m) => m.content!);
  return [query, ...said.reverse()].join(' ').split(/\s+/).slice(0, words).join(' ');
}

/** What {@link ConversationIntents.next} decided for one turn. */
export interface ConversationRouting {
  /** The intents whose context to load, in the order they were first routed to; undefined before the first routing. */
  intents: string[] | undefined;
  /** The conversation's established intents: its first routing's top intent, then each confidently routed one. */
  established: string[];
  /** The routing the loaded intents follow: its top intent and confidence. */
  label?: string;
  confidence?: number;
}

/**
 * The intents of one conversation, routed turn by turn. The router reads the latest query followed
 * by what the customer said before it ({@link customerWordsNewestFirst}); a routing more confident
 * than the one the loaded intents follow switches them, a less confident one keeps them, so a
 * reply that says nothing of the intent does not move the context (and fewer switches keep the
 * prompt-cache prefix). Up to `keep` intents stay loaded: earlier ones keep their positions and
 * new ones come last, so the loaded context changes only at its end.
 */
export class ConversationIntents {
  private current: string[] | undefined;
  private confidence = 0;
  private loaded: string[] = [];
  private established: string[] = [];

  /**
   * @param router routes a text to intents (an IntentRouter)
   * @param keep most intents whose context stays loaded @default 1
   * @param words words of customer text the router reads @default ROUTED_WORDS
   */
  constructor(
    private readonly router: IntentRouting,
    private readonly keep = 1,
    private readonly words = ROUTED_WORDS,
  ) {
    // NaN would keep every intent ever routed loaded; 0 words would route an empty text.
    if (!Number.isInteger(keep) || keep < 1) throw new ConfigError(`ConversationIntents keep = ${keep} must be a whole number of intents, at least 1`, 'use 1 (the default) to follow the conversation to its latest intent, more to keep earlier ones loaded');
    if (!Number.isInteger(words) || words < 1) throw new ConfigError(`ConversationIntents words = ${words} must be a whole number of words, at least 1`, `leave it out for the default (${ROUTED_WORDS})`);
  }

  /** Routes the turn's query (with the customer's earlier words in `history`) and returns the conversation's intents. */
  async next(query: string, history: readonly ChatMessage[]): Promise<ConversationRouting> {
    // An empty query routes nothing: the loaded intents stay, and no routing is reported for the turn.
    if (query.trim() === '') return { intents: this.current && [...this.loaded], established: [...this.established] };
    const trace = await this.router.route(customerWordsNewestFirst(query, history, this.words));
    const established = this.established.length === 0 ? trace.intents.slice(0, 1) : trace.decision === 'confident' ? trace.intents : [];
    this.established = [...this.established, ...established.filter((intent) => !this.established.includes(intent))];
    if (!this.current || trace.decision === 'confident' || trace.confidence > this.confidence) {
      const current = (this.current = trace.intents);
      this.confidence = trace.confidence;
      const room = Math.max(0, this.keep - current.length);
      const kept = room === 0 ? [] : this.loaded.filter((intent) => !current.includes(intent)).slice(-room);
      this.loaded = [...this.loaded.filter((intent) => kept.includes(intent) || current.includes(intent)), ...current.filter((intent) => !this.loaded.includes(intent))];
    }
    const label = this.current?.[0];
    return { intents: [...this.loaded], established: [...this.established], ...(label === undefined ? {} : { label, confidence: this.confidence }) };
  }
}

/** Options of a {@link ContextConversation}. */
export interface ContextConversationOptions {
  /** The assembler every turn goes through (a ProductionContextAssembler, or anything with its assemble()). */
  assembler: Pick<ProductionContextAssembler, 'assemble'>;
  /** The customer the conversation is with. */
  userId: string;
  /** Holds the recent messages and compacts the older ones into a running summary. */
  working: WorkingMemory;
  /**
   * Where the messages compaction evicts go: one episodic memory each (dated by the message's
   * timestamp, with `thread` and the message's position as metadata), for later turns to
   * retrieve. @default none: evicted messages live on in the summary only
   */
  longTerm?: LongTermMemory;
  /** The `thread` metadata of the memories evicted messages become. @default the userId */
  thread?: string;
  /**
   * Routes the conversation's intents turn by turn ({@link ConversationIntents}). Without one the
   * assembler routes each query on its own (with its own router, or its default intent).
   */
  router?: IntentRouting;
  /** Most intents whose context stays loaded when the conversation turns to another. @default 1 */
  keepIntents?: number;
  /**
   * Whose tools a tool router adds: `'established'` the conversation's established intents (a
   * passing low-confidence guess loads its policy but adds no tool: tools sit before every message,
   * so adding one re-bills them all), or `'loaded'` the intents whose context is loaded.
   * @default 'loaded'
   */
  toolIntents?: 'established' | 'loaded';
  /** Words of customer text the router reads. @default ROUTED_WORDS */
  routedWords?: number;
  /**
   * Compact working memory early, at a turn whose tools or loaded intents changed, when it is at
   * least this full ({@link WorkingMemory.fill}, 0..1). Tools and intent sections come before the
   * summary and the history, so such a turn re-bills all of them anyway: a compaction then costs
   * no cache break of its own, where one a few turns later would. 1 turns it off. @default 1 (compaction only when full)
   */
  compactAtChange?: number;
}

/** One turn of a {@link ContextConversation}: the assembled context and the conversation's routing. */
export interface ConversationTurn extends Assembly {
  /** The routing the loaded intents follow, when the conversation has a router and has routed. */
  intent?: { label: string; confidence: number };
}

/**
 * One customer conversation through the production assembler, with its state between turns: the
 * messages go through working memory (what compaction evicts becomes long-term memory, what stays
 * is sent as the append-only history with the running summary), the intents follow the
 * conversation ({@link ConversationIntents}), and the tools sent at the previous turn keep their
 * positions. Each turn's context is the assembler's, so every budget and layout rule holds.
 */
export class ContextConversation {
  private readonly intents: ConversationIntents | undefined;
  private fed = 0;
  /** The last message fed, to check that each turn's history extends the one before. */
  private lastFed: ChatMessage | undefined;
  private remembered = 0;
  private sentTools: string[] = [];
  private loadedIntents: readonly string[] = [];
  private turns = 0;
  /** The turn in flight (settled), which the next turn waits for. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ContextConversationOptions) {
    // Checked as long-term memory will check it, so a bad id fails here, not at the first compaction.
    const id = userIdSchema.safeParse(options.userId);
    if (!id.success) throw new ConfigError(`ContextConversation userId = ${JSON.stringify(options.userId)} ${id.error.issues[0]!.message}`, 'pass the customer id the conversation is with');
    this.intents = options.router ? new ConversationIntents(options.router, options.keepIntents ?? 1, options.routedWords ?? ROUTED_WORDS) : undefined;
    const early = options.compactAtChange;
    if (early !== undefined && !(typeof early === 'number' && early >= 0 && early <= 1)) {
      throw new ConfigError(`ContextConversation compactAtChange = ${String(early)} must be a share from 0 to 1`, 'leave it out (1) to compact only when working memory is full');
    }
  }

  /**
   * The context for the turn answering `query`. `history` is the whole conversation so far, oldest
   * first, append-only between turns: the messages not seen at an earlier turn go into working memory.
   * Turns called before the previous one finished wait for it: they run in call order.
   * @throws InputError when `history` does not extend the history of the turn before (shorter, or
   *   another message where the last one seen was), before anything is fed or assembled.
   */
  turn(request: { query: string; history: readonly ChatMessage[]; now?: string }): Promise<ConversationTurn> {
    // Turns run one at a time, in call order: two at once would feed and route the same state
    // interleaved. A failed turn does not stop the next one.
    const next = this.running.then(() => this.runTurn(request));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async runTurn({ query, history, now }: { query: string; history: readonly ChatMessage[]; now?: string }): Promise<ConversationTurn> {
    await this.feed(history);
    const routed = await this.intents?.next(query, history);
    const assemble = () =>
      this.options.assembler.assemble({
        userId: this.options.userId,
        query,
        history: this.options.working.messages,
        summary: this.options.working.summary,
        ...(now ? { now } : {}),
        ...(routed?.intents ? { intents: routed.intents } : {}),
        previousTools: this.sentTools,
        ...(routed && this.options.toolIntents === 'established' ? { toolIntents: routed.established } : {}),
      });
    let assembly = await assemble();
    const tools = assembly.trace.tools?.sent ?? [];
    const intents = routed?.intents ?? [];
    const changed = this.turns > 0 && (!sameNames(tools, this.sentTools) || !sameNames(intents, this.loadedIntents));
    const early = this.options.compactAtChange ?? 1;
    if (changed && early < 1 && this.options.working.fill >= early) {
      const compaction = await this.options.working.compact();
      if (compaction) {
        await this.rememberEvicted(compaction.evicted);
        assembly = await assemble();
      }
    }
    this.turns++;
    this.sentTools = assembly.trace.tools?.sent ?? [];
    this.loadedIntents = intents;
    return { ...assembly, ...(routed?.label ? { intent: { label: routed.label, confidence: routed.confidence ?? 0 } } : {}) };
  }

  /** Appends the messages not seen yet to working memory; what compaction evicts goes to long-term memory. */
  private async feed(history: readonly ChatMessage[]): Promise<void> {
    const seen = this.fed > 0 ? history[this.fed - 1] : undefined;
    if (this.fed > 0 && (seen === undefined || !sameMessage(seen, this.lastFed!))) {
      throw new InputError(
        `the history of this turn (${history.length} messages) does not extend the ${this.fed} messages of the turns before: ${seen === undefined ? 'it is shorter' : `message ${this.fed - 1} differs`}`,
        'pass the whole conversation so far, oldest first, with new messages only appended; start a new ContextConversation for another conversation',
      );
    }
    // Counted message by message: after a failure (a summarizer that throws, a store that is
    // down) the next turn goes on from the first message working memory did not take.
    for (const message of history.slice(this.fed)) {
      const compaction = await this.options.working.add(message).catch((error: unknown) => {
        // A compaction that failed ran after the append, so the message was taken; a message
        // working memory refused (a tool result answering no call) was not.
        if (this.options.working.messages.includes(message)) this.fedThrough(message);
        throw error;
      });
      this.fedThrough(message);
      if (compaction) await this.rememberEvicted(compaction.evicted);
    }
  }

  /** Stores what a compaction evicted in long-term memory, numbered after what earlier compactions evicted. */
  private async rememberEvicted(evicted: readonly ChatMessage[]): Promise<void> {
    this.remembered += evicted.length;
    await this.remember(evicted, this.remembered - evicted.length);
  }

  private fedThrough(message: ChatMessage): void {
    this.fed++;
    this.lastFed = message;
  }

  private async remember(evicted: readonly ChatMessage[], firstPosition: number): Promise<void> {
    const { longTerm, userId } = this.options;
    if (!longTerm) return;
    const thread = this.options.thread ?? userId;
    await longTerm.storeMany(
      evicted
        .filter((message) => (message.content ?? '').trim() !== '' || message.tool_calls?.length)
        .map((message, i) => ({
          userId,
          content: messageToText(message),
          type: 'episodic' as const,
          ...(message.timestamp ? { createdAt: message.timestamp } : {}),
          metadata: { thread, position: firstPosition + i },
        })),
    );
  }
}

const sameNames = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((name, i) => name === b[i]);
