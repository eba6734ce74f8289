import {
  ASSEMBLER_PROFILE,
  ContextConversation,
  defineStrategy,
  HashingEmbedder,
  identityOf,
  memoryStoreFor,
  modelCacheDirectory,
  type MemoryStore,
  InMemoryCustomerData,
  IntentRouter,
  KnowledgeBaseCache,
  type KnowledgeBase,
  LinearIntentClassifier,
  LongTermMemory,
  MemoryRetrievalPipeline,
  PASSAGE_SCORE_FLOOR,
  ProductionContextAssembler,
  assemblerProfile,
  profileExamples,
  TOOL_ROUTING_DEFAULTS,
  ToolRouter,
  WorkingMemory,
  type Episode,
  type IntentProfile,
  type MemoryRetrieval,
  type Summarizer,
  type TokenCounter,
  techcorpLoaders,
  trainLinearClassifierCached,
  type TurnInput,
} from '../core/index.js';
import { z } from 'zod';
import { compactionSummarizer, declareParts, routerClassifier } from './llm-parts.js';
import { PRODUCTION_DEFAULTS, TUNED_SETTINGS } from './production-settings.js';
import { countOption, tunedCountOption, tunedOption } from './shared.js';

/** Options whose default may be tuned per dataset (see tunedOption). */
const tunedShare = (description: string, fallback: number) => tunedOption(z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'), description, fallback);
const tunedChoice = <T extends string>(choices: readonly [T, ...T[]], description: string, fallback: T) =>
  tunedOption(z.enum(choices, { error: `must be one of ${choices.map((choice) => `"${choice}"`).join(', ')}` }), description, fallback);

/** Options of the production strategy: left out, each takes the dataset's tuned value (strategies/production-settings.ts), else the built-in default. */
const productionOptions = z
  .object({
    routerThreshold: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.5).describe('lowest confidence routed to one intent alone'),
    lowConfidence: z.enum(['top-two', 'fallback']).default('top-two').describe("below the threshold: load the top two intents' context, or fall back to general context"),
    workingMessages: tunedCountOption('working memory: messages kept verbatim before compaction', PRODUCTION_DEFAULTS.workingMessages, 1),
    workingTokens: tunedCountOption('working memory: tokens kept verbatim before compaction', PRODUCTION_DEFAULTS.workingTokens, 1),
    summaryTokens: tunedCountOption('running summary: most tokens (0 keeps no summary)', PRODUCTION_DEFAULTS.summaryTokens, 0),
    summaryUpdate: tunedChoice(
      ['rewrite', 'append'],
      "running summary: 'rewrite' folds each compaction into the whole summary; 'append' appends it while the summary has room (the summary sent before stays a cached prefix) and rewrites only when full",
      PRODUCTION_DEFAULTS.summaryUpdate,
    ),
    memoryTokens: tunedCountOption('retrieved memories and query-dependent knowledge: most tokens a turn (0 retrieves no memory)', PRODUCTION_DEFAULTS.memoryTokens, 0),
    memoryRecency: tunedShare('long-term memory: weight of recency in the score (similarity weighs 1)', PRODUCTION_DEFAULTS.memoryRecency),
    memoryImportance: tunedShare('long-term memory: weight of importance in the score (similarity weighs 1)', PRODUCTION_DEFAULTS.memoryImportance),
    memoryNeighbours: tunedCountOption('long-term memory: turns on each side of a retrieved turn that join it while room is left', PRODUCTION_DEFAULTS.memoryNeighbours, 0),
    memoryCandidates: tunedCountOption('long-term memory: hits considered before reranking', PRODUCTION_DEFAULTS.memoryCandidates, 1),
    keepIntents: tunedCountOption("most intents whose context stays loaded: a conversation that turns to another intent keeps the earlier one's policy too", PRODUCTION_DEFAULTS.keepIntents, 1),
    routeTools: tunedOption(z.boolean(), "send only the routed intents' tools (and those already called), not every tool", PRODUCTION_DEFAULTS.routeTools),
    toolRouting: tunedChoice(
      ['message', 'conversation'],
      "tool routing: 'message' adds the tools of what each message routes to (its confident intents, top candidates, best-matching tools, a called tool's intents); 'conversation' only those of the conversation's established intents (its first routing, then confident switches) and the tools called",
      PRODUCTION_DEFAULTS.toolRouting,
    ),
    compactAtChange: tunedShare(
      'working memory: compact early, at a turn whose tools or loaded intents changed (a cache break for the summary and history anyway), when at least this full; 1 compacts only when full',
      PRODUCTION_DEFAULTS.compactAtChange,
    ),
    toolCandidates: countOption("tool routing: the latest message's top intents whose tools are added", TOOL_ROUTING_DEFAULTS.candidates, 0),
    toolConfidence: z
      .number()
      .min(0, 'must be between 0 and 1')
      .max(1, 'must be between 0 and 1')
      .default(TOOL_ROUTING_DEFAULTS.minConfidence)
      .describe('tool routing: lowest confidence of such an intent'),
    toolMatches: countOption("tool routing: tools best matching the latest message in words (BM25) whose intents' tools are added; 0 turns it off", TOOL_ROUTING_DEFAULTS.lexical, 0),
    toolTokens: countOption('tool routing: most tokens the routed tools may take (tools already called are always kept)', TOOL_ROUTING_DEFAULTS.maxTokens),
    knowledgeFloor: z
      .number()
      .min(0, 'must be between 0 and 1')
      .max(1, 'must be between 0 and 1')
      .default(PASSAGE_SCORE_FLOOR)
      .describe("knowledge: share of the best passage's score another passage needs to be loaded (the depth follows the scores); 0 loads up to 10 passages whatever they score"),
  })
  .strict();

/** Options of the production strategy. */
export type ProductionOptions = z.output<typeof productionOptions>;

/** The settings a production session runs with: built-in defaults, then the dataset's tuned values, then the options given. */
export type ProductionSettings = Pick<ProductionOptions, 'routerThreshold' | 'lowConfidence' | 'knowledgeFloor'> & typeof PRODUCTION_DEFAULTS;

/** The settings for one dataset: what the options give, else what was tuned for it, else the built-in default. */
export function productionSettings(options: ProductionOptions, dataset: string): ProductionSettings {
  const tuned = TUNED_SETTINGS[dataset]?.settings ?? {};
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return { ...PRODUCTION_DEFAULTS, ...tuned, ...given } as ProductionSettings;
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
export const production = defineStrategy({
  name: 'production',
  description: 'the production assembler: intent routing and context loaders, working memory with compaction, long-term memory retrieval, budgeted cache-friendly sections',
  options: productionOptions,
  settingsFor: (options, dataset) => {
    const settings = productionSettings(options, dataset);
    return Object.fromEntries(Object.keys(PRODUCTION_DEFAULTS).map((key) => [key, settings[key as keyof typeof PRODUCTION_DEFAULTS]]));
  },
  create: (options, { counter, llm, memory }) => {
    declareParts(llm, {
      classifier: null,
      summarizer: null,
      embedder: 'long-term memory embeds with the offline HashingEmbedder: remote embeddings cannot fall back mid-run (the vector spaces differ)',
      extractor: 'production stores evicted turns verbatim as memories; it runs no extraction step',
    });
    // One store (one connection pool) for every episode; without one, each episode keeps its memory in process.
    const store = memoryStoreFor(memory, identityOf(new HashingEmbedder()));
    const knowledgeBases = new KnowledgeBaseCache(counter);
    // Trained once per profile, in slices (trainAsync), so Ctrl-C is handled during a long training;
    // a model trained by an earlier run on the same examples with the same code is loaded instead
    // (CTXBENCH_MODEL_CACHE names the directory, off turns it off).
    const classifiers = new WeakMap<IntentProfile, Promise<LinearIntentClassifier>>();
    const modelCache = modelCacheDirectory(process.env);
    const routerFor = async (profile: IntentProfile | undefined) => {
      if (!profile) return undefined;
      let classifier = classifiers.get(profile);
      if (!classifier) {
        classifier = trainLinearClassifierCached(profileExamples(profile), {}, modelCache).then((trained) => trained.classifier);
        classifiers.set(profile, classifier);
      }
      const fallback = options.lowConfidence === 'fallback' ? (profile.fallbackIntent ?? profile.intents[0]!.name) : undefined;
      return new IntentRouter({ classifier: routerClassifier(llm, profile, await classifier), threshold: options.routerThreshold, lowConfidence: options.lowConfidence, ...(fallback ? { fallbackIntent: fallback } : {}) });
    };
    // One tool router per catalog and profile: the episodes of a dataset share both.
    const toolRouters = new WeakMap<object, ToolRouter>();
    const toolRouterFor = (episode: Readonly<Episode>, router: IntentRouter | undefined) => {
      const profile = episode.intentProfile;
      const settings = productionSettings(options, episode.dataset);
      if (!episode.tools?.length || !profile?.intents.some((intent) => intent.tools) || !settings.routeTools) return undefined;
      let toolRouter = toolRouters.get(episode.tools);
      if (!toolRouter) {
        toolRouter =
          settings.toolRouting === 'conversation'
            ? // The conversation's established intents come with each request; the latest message adds nothing by itself.
              ToolRouter.fromProfile(profile, { tools: episode.tools, counter, candidates: 0, lexical: 0, calledIntents: false, maxTokens: options.toolTokens })
            : ToolRouter.fromProfile(profile, {
                tools: episode.tools,
                counter,
                candidates: options.toolCandidates,
                minConfidence: options.toolConfidence,
                lexical: options.toolMatches,
                maxTokens: options.toolTokens,
                ...(router ? { router } : {}),
              });
        toolRouters.set(episode.tools, toolRouter);
      }
      return toolRouter;
    };
    return {
      // The largest total any dataset's settings give (the history's budget grows the total).
      budget: Math.max(...['', ...Object.keys(TUNED_SETTINGS)].map((dataset) => profileFor(productionSettings(options, dataset)).total)),
      startEpisode: (episode) => {
        const router = routerFor(episode.intentProfile);
        const tools = router.then((trained) => toolRouterFor(episode, trained));
        return new ProductionSession(episode, counter, productionSettings(options, episode.dataset), knowledgeBases, router, tools, compactionSummarizer(llm, counter), store);
      },
    };
  },
});

/** Budget of the recent messages: working memory's limit, with room for rendering them as text lines. */
const recentBudget = (settings: ProductionSettings) => Math.max(ASSEMBLER_PROFILE.sections.find((s) => s.name === 'recent_messages')!.budget, Math.ceil(settings.workingTokens * 1.25));

/** The assembler's budget for the settings: the summary and memory sections sized by them, the total grown with the history. */
function profileFor(settings: ProductionSettings) {
  const recent = recentBudget(settings);
  return assemblerProfile(
    { conversation_summary: settings.summaryTokens, recent_messages: recent, retrieved_context: Math.max(settings.memoryTokens, 600) },
    ASSEMBLER_PROFILE.total + Math.max(0, recent - 2000),
  );
}

class ProductionSession {
  /** This dataset's section profile total: the strategy declares the largest over every dataset's settings. */
  readonly budget: number;
  private readonly knowledge: KnowledgeBase;
  private readonly conversation: Promise<ContextConversation>;
  private clock = new Date(0);

  constructor(
    episode: Readonly<Episode>,
    counter: TokenCounter,
    settings: ProductionSettings,
    knowledgeBases: KnowledgeBaseCache,
    router: Promise<IntentRouter | undefined>,
    tools: Promise<ToolRouter | undefined>,
    summarizer: Summarizer,
    store: MemoryStore | undefined,
  ) {
    this.budget = profileFor(settings).total;
    const longTerm = new LongTermMemory({
      embedder: new HashingEmbedder(),
      now: () => this.clock,
      weights: { similarity: 1, recency: settings.memoryRecency, importance: settings.memoryImportance },
      ...(store ? { store } : {}),
    });
    this.knowledge = knowledgeBases.get(episode.knowledge);
    const snapshot = episode.customer?.snapshot ?? { profile: episode.customer?.profile };
    const memory = memoryRetrieval(new MemoryRetrievalPipeline({ longTerm, counter, neighbours: settings.memoryNeighbours, candidates: settings.memoryCandidates }));
    const customers = new InMemoryCustomerData(episode.dataset, new Map([[episode.userId, snapshot]]));
    const working = new WorkingMemory({ maxMessages: settings.workingMessages, maxTokens: settings.workingTokens, summaryMaxTokens: settings.summaryTokens, summaryUpdate: settings.summaryUpdate, counter, summarizer });
    // The tool router needs the trained intent router; the conversation starts once both are there.
    this.conversation = Promise.all([router, tools]).then(
      ([trained, toolRouter]) =>
        new ContextConversation({
          assembler: new ProductionContextAssembler({
            systemPrompt: episode.systemPrompt,
            customers,
            knowledge: this.knowledge,
            loaders: techcorpLoaders({ passageFloor: settings.knowledgeFloor }),
            memory,
            memoryTokens: settings.memoryTokens,
            counter,
            profile: profileFor(settings),
            ...(toolRouter ? { tools: toolRouter } : episode.tools?.length ? { tools: episode.tools } : {}),
          }),
          userId: episode.userId,
          working,
          longTerm,
          thread: episode.id,
          ...(trained ? { router: trained } : {}),
          keepIntents: settings.keepIntents,
          toolIntents: settings.toolRouting === 'conversation' ? 'established' : 'loaded',
          compactAtChange: settings.compactAtChange,
        }),
    );
  }

  async assemble(input: TurnInput) {
    if (input.now) this.clock = new Date(input.now);
    const turn = await (await this.conversation).turn({ query: input.query, history: input.history, ...(input.now ? { now: input.now } : {}) });
    const documents = turn.trace.loaders.flatMap((outcome) => outcome.facts).filter((fact) => this.knowledge.document(fact) !== undefined);
    return {
      messages: turn.messages,
      tools: turn.tools,
      sections: { ...(turn.tools.length > 0 ? { tools: turn.trace.tools!.tokens } : {}), ...Object.fromEntries(turn.trace.sections.map((s) => [s.name, s.tokens])) },
      retrieved: [...new Set(documents)],
      ...(turn.intent ? { intent: turn.intent } : {}),
    };
  }
}
