// The production assembler's contract: what it is given (options, a request) and what it returns.
import type { OverflowAction, SectionUsage } from '../budget/budget.js';
import type { BudgetProfile } from '../budget/profile.js';
import type { ChatMessage, ToolDefinition } from '../messages.js';
import type { KnowledgeBase } from '../retrieval/knowledge.js';
import type { CustomerDataSource } from '../routing/customer-data.js';
import type { ContextLoader, LoaderOutcome } from '../routing/loaders.js';
import type { ToolRouter, ToolSelection } from '../routing/tool-router.js';
import type { TokenCounter } from '../tokens/counter.js';

/** What the router decided for a query, as the trace records it (the IntentRouter's RoutingTrace fits). */
export interface RouteResult {
  /** The intents whose context is loaded: one, two (low-confidence top-two policy) or the fallback. */
  intents: string[];
  /** e.g. 'confident', 'fallback', 'top-two', 'pinned'. */
  decision: string;
  confidence: number;
  candidates: Array<{ label: string; confidence: number }>;
}

/** Anything that routes a query to intents: the IntentRouter. */
export interface IntentRouting {
  route(query: string): Promise<RouteResult>;
}

/** A memory item the assembler placed in the context, with its score. */
export interface RetrievedMemory {
  source: string;
  id: string;
  content: string;
  score: number;
}

/** The memory tier as the assembler uses it. */
export interface MemoryRetrieval {
  retrieve(query: string, options: { userId: string; intent?: string; maxTokens: number; now?: string }): Promise<{ text: string; items: RetrievedMemory[] }>;
}

/** Everything that happened while assembling one context. */
export interface AssemblyTrace {
  routing: RouteResult | null;
  sections: SectionUsage[];
  overflow: OverflowAction[];
  loaders: LoaderOutcome[];
  /** The tool selection, when the assembler routes tools; its tokens came off the total budget. */
  tools: (Omit<ToolSelection, 'tools'> & { sent: string[]; tokens: number }) | null;
  memories: Array<Omit<RetrievedMemory, 'content'>>;
  /** Milliseconds per stage. */
  timings: Record<'route' | 'profile' | 'memory' | 'loaders' | 'budget' | 'total', number>;
}

/** An assembled context with its exact token counts and trace. */
export interface Assembly {
  messages: ChatMessage[];
  /** The tool definitions to send with the messages (none without a tool router). */
  tools: ToolDefinition[];
  text: string;
  tokens: number;
  messageTokens: number;
  trace: AssemblyTrace;
}

/** One request to assemble a context. */
export interface AssembleRequest {
  userId: string;
  query: string;
  /**
   * The recent conversation, oldest first (append-only between compactions). When it ends with
   * the query as a user message, that message is sent once, as the query, after the per-turn sections.
   */
  history?: readonly ChatMessage[];
  /** The running summary of what left the history (working memory). */
  summary?: string;
  /** Tool output to show beside the history. */
  toolResults?: string;
  /** Recorded time of the request (ISO 8601), for memory recency. */
  now?: string;
  /** Skip routing and load these intents' context (a conversation's established intent). */
  intents?: string[];
  /** Names of the tools sent at the conversation's previous turn: they keep their positions. */
  previousTools?: readonly string[];
  /**
   * The intents whose tools the tool router adds, when they differ from the intents whose context
   * is loaded: a conversation's established intents, so that a passing low-confidence guess loads
   * a policy section (cheap to drop) without adding tools (which change the cached prefix).
   * @default the routed (or given) intents
   */
  toolIntents?: string[];
}

/** Options of a {@link ProductionContextAssembler}. */
export interface AssemblerOptions {
  systemPrompt: string;
  customers: CustomerDataSource;
  /** @default ASSEMBLER_PROFILE */
  profile?: BudgetProfile;
  /** @default sharedCounter('gpt-4o') */
  counter?: TokenCounter;
  router?: IntentRouting;
  /** @default TECHCORP_LOADERS */
  loaders?: readonly ContextLoader[];
  knowledge?: KnowledgeBase;
  memory?: MemoryRetrieval;
  /** Most tokens of retrieved memories a turn (they share the retrieved_context section with query-dependent loader output). @default the retrieved_context allocation */
  memoryTokens?: number;
  /** @default 2000 */
  loaderTimeoutMs?: number;
  /** The intent used without a router. @default 'general_question' */
  defaultIntent?: string;
  /**
   * Send the system prompt without the knowledge documents written for an intent (metadata
   * `intent`) that it holds word for word: the policy loader sends the routed intents' documents
   * instead, so a conversation pays for its own policy sections only. @default true
   */
  routeSystemPrompt?: boolean;
  /**
   * The tools to send, before every message: a fixed list (sent whole, in its order, every turn),
   * or a ToolRouter that sends the routed intents' tools and those already called. Their tokens
   * count against the total. @default none
   */
  tools?: ToolRouter | readonly ToolDefinition[];
}
