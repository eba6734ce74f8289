import {
  ASSEMBLER_PROFILE,
  defineStrategy,
  HashingEmbedder,
  identityOf,
  memoryStoreFor,
  type MemoryStore,
  InMemoryCustomerData,
  IntentRouter,
  KnowledgeBaseCache,
  type KnowledgeBase,
  LinearIntentClassifier,
  LongTermMemory,
  MemoryRetrievalPipeline,
  messageToText,
  ProductionContextAssembler,
  profileExamples,
  ToolRouter,
  WorkingMemory,
  type ChatMessage,
  type Episode,
  type IntentProfile,
  type MemoryRetrieval,
  type TokenCounter,
  type TurnInput,
} from '../core/index.js';
import { userTextNewestFirst } from './shared.js';

/** Options of the production strategy. */
export interface ProductionOptions {
  /** Lowest confidence routed to one intent alone. @default 0.5 */
  routerThreshold: number;
  /** Below the threshold: load the top two intents' context, or fall back to general context. @default 'top-two' */
  lowConfidence: 'top-two' | 'fallback';
  /** Working memory: messages and tokens kept verbatim before compaction. @default 40, 2000 */
  workingMessages: number;
  workingTokens: number;
}

/** Words of customer text the router reads: the query first, then earlier user messages, newest first. */
const ROUTED_WORDS = 120;

/**
 * The conversation's intents. The router reads the latest query followed by what the customer
 * said before it, since a reply such as "Crystal Minh" alone says nothing of the intent and the
 * opening message usually states it; a routing more confident than the established one switches
 * the intents, a less confident one keeps them (fewer switches keep the prompt-cache prefix).
 */
class StickyIntents {
  private current: string[] | undefined;
  private confidence = 0;

  constructor(private readonly router: IntentRouter | undefined) {}

  async next(query: string, history: readonly ChatMessage[]): Promise<{ intents: string[] | undefined; label?: string; confidence?: number }> {
    if (!this.router || query.trim() === '') return { intents: this.current };
    const trace = await this.router.route(userTextNewestFirst(query, history, ROUTED_WORDS));
    if (!this.current || trace.decision === 'confident' || trace.confidence > this.confidence) {
      this.current = trace.intents;
      this.confidence = trace.confidence;
    }
    return { intents: this.current, label: this.current[0], confidence: this.confidence };
  }
}

/** Messages that compaction moved out of working memory become long-term memories (one per turn). */
function rememberEvicted(memory: LongTermMemory, episode: Readonly<Episode>, evicted: readonly ChatMessage[], firstPosition: number): Promise<unknown> {
  return memory.storeMany(
    evicted
      .filter((message) => (message.content ?? '').trim() !== '' || message.tool_calls?.length)
      .map((message, i) => ({
        userId: episode.userId,
        content: messageToText(message),
        type: 'episodic' as const,
        ...(message.timestamp ? { createdAt: message.timestamp } : {}),
        metadata: { thread: episode.id, position: firstPosition + i },
      })),
  );
}

/** The assembler's view of the memory tier. */
function memoryRetrieval(pipeline: MemoryRetrievalPipeline): MemoryRetrieval {
  return {
    retrieve: async (query, { userId, intent, maxTokens, now }) => {
      const result = await pipeline.retrieve(query, { userId, intent, maxTokens, ...(now ? { now: new Date(now) } : {}) });
      return { text: result.text, items: result.items };
    },
  };
}

/** The production assembler as it stands: routing and loaders, working and long-term memory, budgeted sections. */
export const production = defineStrategy<ProductionOptions>({
  name: 'production',
  description: 'the production assembler: intent routing and context loaders, working memory with compaction, long-term memory retrieval, budgeted cache-friendly sections',
  defaults: { routerThreshold: 0.5, lowConfidence: 'top-two', workingMessages: 40, workingTokens: 2000 },
  create: (options, { counter, memory }) => {
    // One store (one connection pool) for every episode; without one, each episode keeps its memory in process.
    const store = memoryStoreFor(memory, identityOf(new HashingEmbedder()));
    const knowledgeBases = new KnowledgeBaseCache(counter);
    const classifiers = new WeakMap<IntentProfile, LinearIntentClassifier>();
    const routerFor = (profile: IntentProfile | undefined) => {
      if (!profile) return undefined;
      let classifier = classifiers.get(profile);
      if (!classifier) {
        classifier = LinearIntentClassifier.train(profileExamples(profile));
        classifiers.set(profile, classifier);
      }
      const fallback = options.lowConfidence === 'fallback' ? (profile.fallbackIntent ?? profile.intents[0]!.name) : undefined;
      return new IntentRouter({ classifier, threshold: options.routerThreshold, lowConfidence: options.lowConfidence, ...(fallback ? { fallbackIntent: fallback } : {}) });
    };
    // One tool router per catalog and profile: the episodes of a dataset share both.
    const toolRouters = new WeakMap<object, ToolRouter>();
    const toolRouterFor = (episode: Readonly<Episode>, router: IntentRouter | undefined) => {
      const profile = episode.intentProfile;
      if (!episode.tools?.length || !profile?.intents.some((intent) => intent.tools)) return undefined;
      let toolRouter = toolRouters.get(episode.tools);
      if (!toolRouter) {
        toolRouter = ToolRouter.fromProfile(profile, { tools: episode.tools, counter, ...(router ? { router } : {}) });
        toolRouters.set(episode.tools, toolRouter);
      }
      return toolRouter;
    };
    return {
      budget: ASSEMBLER_PROFILE.total,
      startEpisode: (episode) => {
        const router = routerFor(episode.intentProfile);
        return new ProductionSession(episode, counter, options, knowledgeBases, router, toolRouterFor(episode, router), store);
      },
    };
  },
});

class ProductionSession {
  private readonly working: WorkingMemory;
  private readonly longTerm: LongTermMemory;
  private readonly assembler: ProductionContextAssembler;
  private readonly intents: StickyIntents;
  private readonly knowledge: KnowledgeBase;
  private clock = new Date(0);
  private fed = 0;
  private remembered = 0;
  private sentTools: string[] = [];

  constructor(
    private readonly episode: Readonly<Episode>,
    counter: TokenCounter,
    options: ProductionOptions,
    knowledgeBases: KnowledgeBaseCache,
    router: IntentRouter | undefined,
    tools: ToolRouter | undefined,
    store: MemoryStore | undefined,
  ) {
    this.working = new WorkingMemory({ maxMessages: options.workingMessages, maxTokens: options.workingTokens, counter });
    this.longTerm = new LongTermMemory({ embedder: new HashingEmbedder(), now: () => this.clock, ...(store ? { store } : {}) });
    this.knowledge = knowledgeBases.get(episode.knowledge);
    const snapshot = episode.customer?.snapshot ?? { profile: episode.customer?.profile };
    this.assembler = new ProductionContextAssembler({
      systemPrompt: episode.systemPrompt,
      customers: new InMemoryCustomerData(episode.dataset, new Map([[episode.userId, snapshot]])),
      knowledge: this.knowledge,
      memory: memoryRetrieval(new MemoryRetrievalPipeline({ longTerm: this.longTerm, counter })),
      counter,
      ...(tools ? { tools } : {}),
    });
    this.intents = new StickyIntents(router);
  }

  async assemble(input: TurnInput) {
    if (input.now) this.clock = new Date(input.now);
    await this.feed(input.history);
    const routed = await this.intents.next(input.query, input.history);
    const assembly = await this.assembler.assemble({
      userId: this.episode.userId,
      query: input.query,
      history: this.working.messages,
      summary: this.working.summary,
      ...(input.now ? { now: input.now } : {}),
      ...(routed.intents ? { intents: routed.intents } : {}),
      previousTools: this.sentTools,
    });
    this.sentTools = assembly.trace.tools?.sent ?? [];
    const documents = assembly.trace.loaders.flatMap((outcome) => outcome.facts).filter((fact) => this.knowledge.document(fact) !== undefined);
    return {
      messages: assembly.messages,
      tools: assembly.tools,
      sections: { ...(assembly.tools.length > 0 ? { tools: assembly.trace.tools!.tokens } : {}), ...Object.fromEntries(assembly.trace.sections.map((s) => [s.name, s.tokens])) },
      retrieved: [...new Set(documents)],
      ...(routed.label ? { intent: { label: routed.label, confidence: routed.confidence ?? 0 } } : {}),
    };
  }

  /** Appends the messages not seen yet to working memory; what compaction evicts goes to long-term memory. */
  private async feed(history: readonly ChatMessage[]): Promise<void> {
    for (const message of history.slice(this.fed)) {
      const compaction = await this.working.add(message);
      if (compaction) {
        await rememberEvicted(this.longTerm, this.episode, compaction.evicted, this.remembered);
        this.remembered += compaction.evicted.length;
      }
    }
    this.fed = history.length;
  }
}
