import type { CustomerSnapshot } from '../routing/customer-data.js';
import type { IntentProfile } from '../routing/intent-profile.js';
import type { ChatMessage, ToolDefinition } from '../messages.js';

/** A knowledge document an agent may consult: a policy section, a guideline, a KB article. */
export interface KnowledgeDocument {
  id: string;
  title: string;
  text: string;
  metadata?: Record<string, unknown>;
}

/** The recorded customer data of an episode's user (profile plus named records such as reservations). */
export interface CustomerRecord {
  profile: Record<string, unknown>;
  /** Named records that belong to the customer, e.g. reservations by id. */
  records: Record<string, unknown>;
  /** The same data normalized for the context loaders (orders, payment methods, invoices, ...). */
  snapshot?: CustomerSnapshot;
}

/**
 * Where the agent could learn a fact: the customer record or knowledge it had from the start, or
 * the earlier message that first stated it (said by the customer, returned by a tool, said by the agent).
 */
export type FactOrigin = 'record' | 'customer' | 'tool' | 'agent';
export const FACT_ORIGINS: readonly FactOrigin[] = ['record', 'customer', 'tool', 'agent'];

/** One value the recorded agent used, with where it came from. */
export interface Fact {
  value: string;
  origin: FactOrigin;
  /** The argument name the value was passed as. */
  key?: string;
  /** For short values: the normalized words around it where it came from, which must stand with it. */
  context?: string;
}

/** Values that must appear in the context (tool-call arguments the agent could know by then). */
export interface FactProbe {
  kind: 'fact';
  facts: Fact[];
}

/** Evidence texts that must appear in the context, and the gold answer (LoCoMo). */
export interface EvidenceProbe {
  kind: 'evidence';
  evidence: string[];
  answer?: string;
}

/** The intent the router should pick for this turn (banking77, ABCD flows). */
export interface IntentProbe {
  kind: 'intent';
  expected: string;
}

/** A knowledge document that must be in the context (e.g. the right ABCD subflow guideline). */
export interface DocumentProbe {
  kind: 'document';
  documentId: string;
}

/** The policy sections (knowledge document ids) that govern the recorded action at this turn. */
export interface PolicyProbe {
  kind: 'policy';
  documentIds: string[];
}

/** Graded relevance judgements of knowledge documents for this turn's query (BEIR qrels). */
export interface RetrievalProbe {
  kind: 'retrieval';
  /** Document id -> relevance grade (> 0 is relevant). */
  relevant: Record<string, number>;
}

/** The tool the recorded assistant calls at this turn: it must be among the tools sent (SGD). */
export interface ToolProbe {
  kind: 'tool';
  /** The function name of the recorded call. */
  name: string;
}

export type Probe = FactProbe | EvidenceProbe | IntentProbe | DocumentProbe | PolicyProbe | RetrievalProbe | ToolProbe;
export type ProbeKind = Probe['kind'];

/**
 * A point where the recorded agent called the LLM. The strategy sees `episode.messages.slice(0, at)`
 * and, when `query` is set, that query as a new user message (questions asked at the end of a
 * conversation, single-turn queries). When `episode.messages[at]` is the recorded assistant
 * message, its tokens are the turn's output tokens; otherwise the scenario's default applies.
 */
export interface Turn {
  /** Number of recorded messages visible at this turn. */
  at: number;
  /** An extra user query posed at this point, when the turn is not a recorded assistant message. */
  query?: string;
  probes: Probe[];
}

/** One recorded conversation, normalized: what every loader produces and every strategy consumes. */
export interface Episode {
  id: string;
  dataset: string;
  userId: string;
  /** The agent's instructions, without the knowledge documents. */
  systemPrompt: string;
  messages: ChatMessage[];
  /** The tool definitions the recorded agent had (OpenAI function format), where the recording has them. */
  tools?: ToolDefinition[];
  /** Knowledge available to the agent (policy sections, guidelines, knowledge base). */
  knowledge: KnowledgeDocument[];
  customer?: CustomerRecord;
  turns: Turn[];
  /**
   * The intents a router may route this episode's queries to, with training examples that do
   * not include the episode's own queries. Episodes of one dataset share one profile object.
   */
  intentProfile?: IntentProfile;
  metadata?: Record<string, unknown>;
}

/** A record a lenient loader skipped, with why. */
export interface SkippedRecord {
  file: string;
  record: string;
  reason: string;
}

/**
 * A record that was kept but changed or only partly scored: `repaired` (an input value read in a
 * corrected form), `unscored` (a probe left out for want of labels, e.g. a question without evidence).
 */
export interface DatasetNote extends SkippedRecord {
  kind: 'repaired' | 'unscored';
}

/** What a dataset loader returns. */
export interface LoadedDataset {
  name: string;
  episodes: Episode[];
  /** Records left out: malformed ones under `lenient` (bad input throws otherwise). */
  skipped: SkippedRecord[];
  /** Records kept but repaired or partly unscored. @default none */
  notes?: DatasetNote[];
}
