import { ContextBudget, type BuiltContext } from '../budget/budget.js';
import { defineProfile, type BudgetProfile } from '../budget/profile.js';
import { ConfigError, InputError } from '../errors.js';
import { checkChatHistory, messageToText, type ChatMessage, type ToolDefinition } from '../messages.js';
import type { KnowledgeBase } from '../retrieval/knowledge.js';
import { loadersFor, runLoader, type LoaderOutcome } from '../routing/loaders.js';
import { TECHCORP_LOADERS } from '../routing/techcorp-loaders.js';
import { ToolRouter } from '../routing/tool-router.js';
import { sharedCounter, type TokenCounter } from '../tokens/counter.js';
import { ASSEMBLER_PROFILE } from './profile.js';
import type { AssembleRequest, AssemblerOptions, Assembly, RouteResult } from './types.js';

export type * from './types.js';

/** Budget profiles kept by total (one per distinct tool token count); the oldest is dropped beyond this. */
const PROFILE_TOTALS = 64;

/** Profiles kept rendered; the oldest is dropped beyond this. */
const PROFILE_CACHE_USERS = 10_000;

const elapsed = (since: number) => Math.round((performance.now() - since) * 1000) / 1000;

/**
 * The lab design's production assembler: system prompt, user profile (cached per user), intent
 * routing and loaders, retrieved memories, history, query; every section goes through the budget
 * manager, so the total never exceeds the budget. Holds no per-request state: many assemble()
 * calls for different users may run at once.
 */
export class ProductionContextAssembler {
  private readonly profiles = new Map<string, Promise<string>>();
  /** Budget profiles by total, see {@link profileWithin}. */
  private readonly totals = new Map<number, BudgetProfile>();
  private readonly counter: TokenCounter;
  private readonly profile: BudgetProfile;
  /** The system prompt as sent: without the intent documents it holds, when routed. */
  readonly systemPrompt: string;
  private readonly toolRouter: ToolRouter | undefined;
  private readonly fixedTools: readonly ToolDefinition[];

  constructor(private readonly options: AssemblerOptions) {
    this.counter = options.counter ?? sharedCounter('gpt-4o');
    this.profile = options.profile ?? ASSEMBLER_PROFILE;
    checkAssemblerOptions(options, this.profile);
    this.toolRouter = options.tools instanceof ToolRouter ? options.tools : undefined;
    this.fixedTools = options.tools instanceof ToolRouter ? [] : (options.tools ?? []);
    this.systemPrompt = options.routeSystemPrompt === false || !options.knowledge ? options.systemPrompt : withoutIntentDocuments(options.systemPrompt, options.knowledge);
  }

  /** The profile with `total` tokens (the tools take the rest), defined once per total: the tools change on few turns. */
  private profileWithin(total: number): BudgetProfile {
    let profile = this.totals.get(total);
    if (!profile) {
      profile = defineProfile({ ...this.profile, total });
      if (this.totals.size >= PROFILE_TOTALS) this.totals.delete(this.totals.keys().next().value!);
      this.totals.set(total, profile);
    }
    return profile;
  }

  async assemble(request: AssembleRequest): Promise<Assembly> {
    const started = performance.now();
    const timings = { route: 0, profile: 0, memory: 0, loaders: 0, budget: 0, total: 0 };
    // Before any routing or loading: a request the assembler would send wrong is refused first.
    const { earlier, asked } = checkRequest(request, this.profile);
    let stage = performance.now();
    const routing = await this.route(request);
    timings.route = elapsed(stage);

    stage = performance.now();
    const userProfile = await this.userProfile(request.userId);
    timings.profile = elapsed(stage);

    stage = performance.now();
    const outcomes = await this.load(request, routing?.intents ?? [this.options.defaultIntent ?? DEFAULT_INTENT]);
    const systemPrompt = this.systemPrompt;
    // Loader text the system prompt already holds (a policy section) is not sent twice.
    const loaded = (perTurn: boolean) =>
      outcomes
        .filter((o) => o.perTurn === perTurn)
        .map((o) => withoutRepeats(o.text, systemPrompt))
        .filter(Boolean)
        .join('\n\n');
    const perTurnLoaded = loaded(true);
    timings.loaders = elapsed(stage);

    stage = performance.now();
    // The memories share retrieved_context with the query-dependent loader output: they get the
    // room it leaves, so the pipeline's own ranking decides what fits and the section is not cut
    // afterwards. MemoryRetrievalPipeline's text starts with a "#" title after the blank line, so
    // the two counts add up exactly (see startsPreToken); another retrieval's text may be cut by a
    // token or two when the join tokenizes differently.
    const allocation = this.profile.sections.find((s) => s.name === 'retrieved_context')?.budget ?? 0;
    const retrievedBudget = Math.min(this.options.memoryTokens ?? Infinity, allocation - (perTurnLoaded ? this.counter.count(`${perTurnLoaded}\n\n`) : 0));
    const intent = routing?.intents[0];
    const memory = this.options.memory && retrievedBudget > 0 ? await this.options.memory.retrieve(request.query, { userId: request.userId, intent, maxTokens: retrievedBudget, now: request.now }) : undefined;
    timings.memory = elapsed(stage);

    stage = performance.now();
    const selection = this.toolRouter
      ? await this.toolRouter.select({ query: request.query, intents: request.toolIntents ?? routing?.intents ?? [], history: request.history ?? [], previous: request.previousTools })
      : undefined;
    const tools = selection?.tools ?? [...this.fixedTools];
    const toolTokens = this.counter.countTools(tools);
    const budget = new ContextBudget({ profile: this.profileWithin(this.profile.total - toolTokens), counter: this.counter });
    const sections: Record<string, string | undefined> = {
      system_prompt: systemPrompt,
      user_profile: userProfile,
      intent_context: loaded(false),
      conversation_summary: request.summary,
      recent_messages: earlier.map(messageToText).join('\n'),
      retrieved_context: [perTurnLoaded, memory?.text ?? ''].filter(Boolean).join('\n\n'),
      tool_results: request.toolResults,
      current_query: asked,
    };
    for (const [name, content] of Object.entries(sections)) {
      if (content && this.profile.sections.some((s) => s.name === name)) budget.addSection(name, content);
    }
    const built = budget.build();
    const sent = this.asChat(built, earlier, budget.profile.total);
    timings.budget = elapsed(stage);
    timings.total = elapsed(started);
    return {
      messages: sent.messages,
      tools,
      text: built.text,
      tokens: built.tokens,
      messageTokens: sent.tokens,
      trace: {
        routing,
        sections: built.sections,
        overflow: built.overflow,
        loaders: outcomes,
        tools: selection
          ? { sent: selection.tools.map((tool) => tool.function.name), intents: selection.intents, added: selection.added, dropped: selection.dropped, tokens: toolTokens }
          : tools.length > 0
            ? { sent: tools.map((tool) => tool.function.name), intents: [], added: [], dropped: [], tokens: toolTokens }
            : null,
        memories: (memory?.items ?? []).map(({ source, id, score }) => ({ source, id, score })),
        timings,
      },
    };
  }

  /**
   * The message form as a chat API takes it: the system prompt as it is (no section header), and
   * the history, when the budget kept it whole, as the conversation's own messages (tool calls and
   * results included) rather than one text block; the same order as the text form, so the history
   * stays an append-only run of messages. Kept in the budget's form when that would not fit.
   */
  private asChat(built: BuiltContext, history: readonly ChatMessage[], total: number): { messages: ChatMessage[]; tokens: number } {
    const usage = new Map(built.sections.map((section) => [section.name, section]));
    const recent = usage.get('recent_messages');
    const shown = built.sections.filter((section) => section.tokens > 0);
    if (shown.length !== built.messages.length) return { messages: built.messages, tokens: built.messageTokens };
    const keepHistory = recent !== undefined && recent.tokens > 0 && !recent.truncated && !recent.compressed && history.length > 0;
    const messages = shown.flatMap((section, i): ChatMessage[] => {
      const message = built.messages[i]!;
      if (section.name === 'system_prompt' && !section.truncated && !section.compressed) return [{ role: 'system', content: this.systemPrompt }];
      if (section.name === 'recent_messages' && keepHistory) return history.map(chatMessage);
      return [message];
    });
    const tokens = this.counter.countMessages(messages);
    return tokens <= total ? { messages, tokens } : { messages: built.messages, tokens: built.messageTokens };
  }

  private async route(request: AssembleRequest): Promise<RouteResult | null> {
    if (request.intents?.length) return { intents: request.intents, confidence: 1, decision: 'pinned', candidates: request.intents.map((label) => ({ label, confidence: 1 })) };
    return this.options.router ? this.options.router.route(request.query) : null;
  }

  /** The user's profile, rendered once per user and reused (a failed lookup is not cached); empty without profile data. */
  private userProfile(userId: string): Promise<string> {
    let cached = this.profiles.get(userId);
    if (!cached) {
      cached = this.options.customers
        .profile(userId)
        // Without profile data there is nothing to add: the user id alone is not sent.
        .then((profile) => {
          const entries = Object.entries(profile ?? {});
          return entries.length === 0 ? '' : [`user id: ${userId}`, ...entries.map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)].join('\n');
        })
        .catch((error: unknown) => {
          this.profiles.delete(userId);
          return `user id: ${userId} (profile unavailable: ${error instanceof Error ? error.message : String(error)})`;
        });
      this.profiles.set(userId, cached);
      if (this.profiles.size > PROFILE_CACHE_USERS) this.profiles.delete(this.profiles.keys().next().value!);
    }
    return cached;
  }

  private async load(request: AssembleRequest, intents: readonly string[]): Promise<LoaderOutcome[]> {
    const services = { customers: this.options.customers, knowledge: this.options.knowledge };
    const seen = new Set<string>();
    const calls: Array<Promise<LoaderOutcome>> = [];
    for (const intent of intents) {
      for (const loader of loadersFor(this.options.loaders ?? TECHCORP_LOADERS, intent)) {
        // Wildcard loaders (policy) load per intent; data loaders give the same data for every intent.
        const key = loader.intents.includes('*') ? `${loader.name}\u0000${intent}` : loader.name;
        if (seen.has(key)) continue;
        seen.add(key);
        calls.push(runLoader(loader, { userId: request.userId, query: request.query, intent, now: request.now }, services, this.options.loaderTimeoutMs ?? 2000));
      }
    }
    return Promise.all(calls);
  }
}

/** The history before the query and the query as sent: a history that ends with the query keeps it once, last. */
/** The sections without which an assembly would silently leave out what it was asked to send. */
const REQUIRED_SECTIONS = ['system_prompt', 'current_query'] as const;
/** The intent loaded without a router or a given one. */
const DEFAULT_INTENT = 'general_question';
/** Most milliseconds a timer can wait: Node runs a longer (or Infinity) timeout after 1 ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Refuses options that would silently change what is sent: a profile without a section for the
 * system prompt or the query, a loader timeout Node would cut to 1 ms, a memory allowance that is
 * not a whole number of tokens, a default intent no loader serves.
 * @throws ConfigError naming the option, the value and the fix
 */
function checkAssemblerOptions(options: AssemblerOptions, profile: BudgetProfile): void {
  for (const name of REQUIRED_SECTIONS) {
    if (!profile.sections.some((section) => section.name === name)) {
      throw new ConfigError(`assembler profile "${profile.name}" has no ${name} section, so ${name === 'current_query' ? "the customer's query" : 'the system prompt'} would never be sent`, `add a ${name} section to the profile (ASSEMBLER_PROFILE has one)`);
    }
  }
  const { loaderTimeoutMs, memoryTokens, defaultIntent } = options;
  if (loaderTimeoutMs !== undefined && !(Number.isInteger(loaderTimeoutMs) && loaderTimeoutMs >= 1 && loaderTimeoutMs <= MAX_TIMEOUT_MS)) {
    throw new ConfigError(`assembler loaderTimeoutMs = ${loaderTimeoutMs} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`, 'leave it out for 2000 ms; Node runs a longer, infinite or invalid timeout after 1 ms, so every loader would time out');
  }
  if (memoryTokens !== undefined && !(Number.isInteger(memoryTokens) && memoryTokens >= 0)) {
    throw new ConfigError(`assembler memoryTokens = ${memoryTokens} must be a whole number of tokens, 0 or more`, 'leave it out for the retrieved_context allocation; 0 turns memory retrieval off');
  }
  if (defaultIntent !== undefined) {
    // Loaders for every intent ('*') serve a misspelt intent too, so the intent must be one a loader names.
    const loaders = options.loaders ?? TECHCORP_LOADERS;
    const named = [...new Set(loaders.flatMap((loader) => loader.intents))].filter((intent) => intent !== '*');
    if (typeof defaultIntent !== 'string' || (named.length > 0 && !named.includes(defaultIntent) && defaultIntent !== DEFAULT_INTENT)) {
      throw new ConfigError(`assembler defaultIntent = ${JSON.stringify(defaultIntent)} is served by no loader, so no data would be loaded`, `use one of ${[DEFAULT_INTENT, ...named].join(', ')}`);
    }
  }
}

/**
 * Refuses a request whose parts the profile has no section for (they would be dropped without a
 * word) and a history a chat API would refuse.
 * @throws InputError naming the part and the fix
 */
function checkRequest(request: AssembleRequest, profile: BudgetProfile): ReturnType<typeof splitQuery> {
  checkChatHistory(request.history ?? [], 'assemble() history');
  const split = splitQuery(request.history ?? [], request.query);
  const has = (name: string) => profile.sections.some((section) => section.name === name);
  const parts: Array<[string, boolean]> = [
    ['recent_messages', split.earlier.length > 0],
    ['conversation_summary', Boolean(request.summary)],
    ['tool_results', Boolean(request.toolResults)],
  ];
  for (const [name, given] of parts) {
    if (given && !has(name)) throw new InputError(`the request has ${name === 'recent_messages' ? 'history' : name === 'conversation_summary' ? 'a summary' : 'tool results'}, but profile "${profile.name}" has no ${name} section to send it in`, `add a ${name} section to the profile, or leave that part out of the request`);
  }
  return split;
}

function splitQuery(history: readonly ChatMessage[], query: string): { earlier: readonly ChatMessage[]; asked: string } {
  const last = history.at(-1);
  if (last?.role === 'user' && (last.content ?? '').trim() === query.trim() && query.trim() !== '') return { earlier: history.slice(0, -1), asked: last.content ?? query };
  return { earlier: history, asked: query };
}

/**
 * The paragraphs of a loader's text that the system prompt does not already hold word for word
 * (a knowledge chunk's paragraph may carry its document's title as a "Title: " prefix).
 */
function withoutRepeats(text: string, systemPrompt: string): string {
  if (!systemPrompt || !text) return text;
  const held = (paragraph: string) => systemPrompt.includes(paragraph) || systemPrompt.includes(paragraph.replace(/^[^\n:]{1,120}: /, ''));
  return text
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '' && !held(paragraph))
    .join('\n\n');
}

/** The system prompt without the text of every knowledge document written for an intent that it holds word for word. */
export function withoutIntentDocuments(systemPrompt: string, knowledge: KnowledgeBase): string {
  let prompt = systemPrompt;
  for (const doc of knowledge.documentsWhere({})) {
    if (typeof doc.metadata?.intent !== 'string') continue;
    const text = doc.text.trim();
    if (text && prompt.includes(text)) prompt = prompt.replace(text, '');
  }
  return prompt === systemPrompt ? systemPrompt : prompt.replace(/\n{3,}/g, '\n\n').trim();
}

/** A history message as sent: the chat fields only (recorded timestamps and metadata are not part of a request). */
function chatMessage(message: ChatMessage): ChatMessage {
  return {
    role: message.role,
    content: message.content,
    ...(message.name !== undefined ? { name: message.name } : {}),
    ...(message.tool_calls ? { tool_calls: message.tool_calls } : {}),
    ...(message.tool_call_id !== undefined ? { tool_call_id: message.tool_call_id } : {}),
  };
}
