import { z } from 'zod';
import type { ChatMessage, ToolDefinition } from '../messages.js';
import { ConfigError } from '../errors.js';
import { TOOL_TOKENS, type TokenCounter } from '../tokens/counter.js';
import { LexicalIndex } from '../retrieval/lexical.js';
import { parseConfig } from './classifier.js';
import type { IntentProfile } from './intent-profile.js';

/** Anything that routes one query to intents and says how sure it is (the IntentRouter fits). */
export interface QueryRouting {
  route(query: string): Promise<{ intents: string[]; decision: string; candidates?: Array<{ label: string; confidence: number }> }>;
}

/** Options of a {@link ToolRouter}. */
export interface ToolRouterOptions {
  /** Every tool the agent can call, in catalog order. */
  tools: readonly ToolDefinition[];
  /** Tool names per intent; an intent not listed brings no tool. */
  toolsByIntent: ReadonlyMap<string, readonly string[]>;
  /**
   * Routes the latest user message alone: when it is confident, its intents' tools are added too,
   * so a conversation that turns to another service ("I also need a rental car") gets its tools
   * at once, even while the conversation's established intent stays.
   */
  router?: QueryRouting;
  /** Of the latest message's routing, the top candidates whose tools are added at `minConfidence` or more. @default TOOL_ROUTING_DEFAULTS.candidates */
  candidates?: number;
  /** @default TOOL_ROUTING_DEFAULTS.minConfidence */
  minConfidence?: number;
  /**
   * Also match the latest message against the tools' names, descriptions and parameters (BM25)
   * and add the tools of the intents that serve the best `lexical` tools; 0 turns it off. It finds
   * services the router has few training examples for ("a rental car"). @default TOOL_ROUTING_DEFAULTS.lexical
   */
  lexical?: number;
  /** Most tokens the tools may take; routed tools beyond it are not added (used ones always are). @default TOOL_ROUTING_DEFAULTS.maxTokens */
  maxTokens?: number;
  /**
   * A called tool brings the other tools of its intents when it serves at most half of them (a
   * search is followed by a booking). Off, only the called tool itself stays: where intents
   * share their searches (book and change a flight), a search says little of what comes next,
   * and each tool added later changes the prompt-cache prefix. @default true
   */
  calledIntents?: boolean;
  counter: TokenCounter;
}

/** The knobs of a {@link ToolRouter} that decide how many tools it sends. */
export type ToolRoutingSettings = Required<Pick<ToolRouterOptions, 'candidates' | 'minConfidence' | 'lexical' | 'maxTokens'>>;

/**
 * The settings a {@link ToolRouter} uses unless told otherwise, chosen on SGD's train split with
 * the router trained on a disjoint part of it, never on the dialogues a replay reports:
 * `npm run tune:tools`, recorded in bench/tuning/sgd-tool-routing.json (README: "How the tool
 * router's settings were chosen").
 */
export const TOOL_ROUTING_DEFAULTS: Readonly<ToolRoutingSettings> = Object.freeze({ candidates: 1, minConfidence: 0.5, lexical: 1, maxTokens: 4000 });

/** One request for a conversation's tools at one turn. */
export interface ToolRequest {
  /** The latest user message (routed alone when the router option is set). */
  query: string;
  /** The intents the conversation is routed to at this turn, most likely first. */
  intents: readonly string[];
  /** The conversation so far: every tool it called is kept. */
  history: readonly ChatMessage[];
  /** Names of the tools sent at the conversation's previous turn, in the order sent. */
  previous?: readonly string[];
}

/** The tools to send, and why. */
export interface ToolSelection {
  tools: ToolDefinition[];
  /** The intents whose tools were asked for (the request's, then the query's own confident routing). */
  intents: string[];
  /** Names of the tools new at this turn (appended after the previous ones). */
  added: string[];
  /** Names of routed tools left out because the tools would exceed `maxTokens`. */
  dropped: string[];
}

const optionsSchema = z
  .object({
    tools: z.array(z.custom<ToolDefinition>((tool) => typeof (tool as ToolDefinition | null)?.function?.name === 'string', 'must be a tool definition with a function name')),
    toolsByIntent: z.custom<ReadonlyMap<string, readonly string[]>>((value) => value instanceof Map, 'must be a Map from intent to tool names'),
    router: z.custom<QueryRouting>((value) => typeof (value as QueryRouting | null)?.route === 'function', 'must have a route(query) method').optional(),
    candidates: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(TOOL_ROUTING_DEFAULTS.candidates),
    minConfidence: z.number().min(0, 'must be a confidence from 0 to 1, e.g. 0.3').max(1, 'must be a confidence from 0 to 1, e.g. 0.3').default(TOOL_ROUTING_DEFAULTS.minConfidence),
    lexical: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(TOOL_ROUTING_DEFAULTS.lexical),
    maxTokens: z.number().int('must be a whole number of tokens').positive('must be more than zero tokens').default(TOOL_ROUTING_DEFAULTS.maxTokens),
    calledIntents: z.boolean('must be true or false').default(true),
    counter: z.custom<TokenCounter>((value) => typeof (value as TokenCounter | null)?.countTools === 'function', 'must be a TokenCounter'),
  })
  .strict();

/**
 * Sends a conversation only the tools of the intents it is routed to, plus every tool it already
 * called, in a cache-stable order: tools sent before keep their positions and new ones are
 * appended, so the tool definitions (which precede the messages in the prompt) stay a shared
 * prefix from turn to turn. Tools are never taken away within a conversation. Stateless: the
 * caller passes the previous turn's names, so one router serves many conversations at once.
 */
export class ToolRouter {
  private readonly options: z.output<typeof optionsSchema>;
  private readonly byName: Map<string, ToolDefinition>;
  private readonly intentsOfTool = new Map<string, string[]>();
  private readonly index = new LexicalIndex();

  constructor(options: ToolRouterOptions) {
    this.options = parseConfig(optionsSchema, options, 'tool router options', 'for example { tools, toolsByIntent: new Map([["Hotels/SearchHotel", ["Hotels_1_SearchHotel"]]]), counter }');
    this.byName = new Map(this.options.tools.map((tool) => [tool.function.name, tool]));
    for (const [intent, names] of this.options.toolsByIntent) {
      const unknown = names.find((name) => !this.byName.has(name));
      if (unknown !== undefined) {
        throw new ConfigError(`invalid tool router options: toolsByIntent "${intent}" names tool "${unknown}", which is not among the tools`, 'list only names of the given tools, or add that tool to tools');
      }
      for (const name of names) (this.intentsOfTool.get(name) ?? this.intentsOfTool.set(name, []).get(name)!).push(intent);
    }
    const routed = this.options.tools.filter((tool) => this.intentsOfTool.has(tool.function.name));
    if (this.options.lexical > 0 && routed.length > 0) this.index.add(routed.map((tool) => ({ id: tool.function.name, text: toolSearchText(tool) })));
  }

  /** The settings in force: those given, the others from {@link TOOL_ROUTING_DEFAULTS}. */
  get settings(): ToolRoutingSettings {
    const { candidates, minConfidence, lexical, maxTokens } = this.options;
    return { candidates, minConfidence, lexical, maxTokens };
  }

  /** A router over `tools` with the tools each intent of `profile` lists. */
  static fromProfile(profile: IntentProfile, options: Omit<ToolRouterOptions, 'toolsByIntent'>): ToolRouter {
    return new ToolRouter({ ...options, toolsByIntent: new Map(profile.intents.flatMap((intent) => (intent.tools ? [[intent.name, intent.tools] as const] : []))) });
  }

  async select(request: ToolRequest): Promise<ToolSelection> {
    const intents = [...request.intents];
    const include = (intent: string) => intents.includes(intent) || intents.push(intent);
    if (this.options.router && request.query.trim() !== '') {
      const own = await this.options.router.route(request.query);
      if (own.decision === 'confident') own.intents.forEach(include);
      for (const candidate of (own.candidates ?? []).slice(0, this.options.candidates)) if (candidate.confidence >= this.options.minConfidence) include(candidate.label);
    }
    if (this.options.lexical > 0 && request.query.trim() !== '') {
      for (const hit of this.index.search(request.query, this.options.lexical)) this.intentsOfTool.get(hit.id)!.forEach(include);
    }
    const names = (request.previous ?? []).filter((name) => this.byName.has(name));
    const sent = new Set(names);
    const added: string[] = [];
    const dropped: string[] = [];
    let tokens = this.options.counter.countTools(names.map((name) => this.byName.get(name)!));
    const add = (name: string, always: boolean) => {
      const tool = this.byName.get(name);
      if (!tool || sent.has(name)) return;
      const cost = this.options.counter.countTool(tool) + (names.length === 0 ? TOOL_TOKENS.perRequest : 0);
      if (!always && tokens + cost > this.options.maxTokens) {
        dropped.push(name);
        return;
      }
      sent.add(name);
      names.push(name);
      added.push(name);
      tokens += cost;
    };
    // A called tool stays, and so do its intent's other tools (a search is followed by a booking);
    // a tool that serves more than half the intents (a user lookup) says nothing of the intent.
    const distinctive = Math.max(1, Math.floor(this.options.toolsByIntent.size / 2));
    for (const message of request.history) {
      for (const call of message.tool_calls ?? []) {
        add(call.function.name, true);
        const intentsOfTool = this.intentsOfTool.get(call.function.name) ?? [];
        if (this.options.calledIntents && intentsOfTool.length <= distinctive) intentsOfTool.forEach(include);
      }
    }
    for (const intent of intents) for (const name of this.options.toolsByIntent.get(intent) ?? []) add(name, false);
    return { tools: names.map((name) => this.byName.get(name)!), intents, added, dropped: [...new Set(dropped)] };
  }
}

/** A tool as searchable text: its name in words, its description, and each parameter with its description. */
export function toolSearchText(tool: ToolDefinition): string {
  const properties = (tool.function.parameters?.properties ?? {}) as Record<string, { description?: unknown }>;
  const parameters = Object.entries(properties).map(([key, schema]) => `${key.replace(/_/g, ' ')} ${typeof schema.description === 'string' ? schema.description : ''}`);
  return [tool.function.name.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2'), tool.function.description ?? '', ...parameters].join('\n');
}
