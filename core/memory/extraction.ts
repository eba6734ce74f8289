import type OpenAI from 'openai';
import { z } from 'zod';
import { createLlmClient, type LlmConfig } from '../llm/client.js';
import { messageToText, type ChatMessage } from '../messages.js';
import { countEntities, findEntities } from '../text/entities.js';
import { splitSentences } from '../text/segment.js';
import type { LongTermMemory, StoreResult } from './long-term.js';
import { MEMORY_TYPES, type MemoryType } from './types.js';

/** A memory an extractor found, before it is stored. */
export interface ExtractedMemory {
  content: string;
  type: MemoryType;
  /** 0..1 */
  importance: number;
  /** When it happened or was said (ISO 8601); the store's clock when absent. */
  createdAt?: string;
}

/** What an extractor returns: the memories, and why any part of the conversation was skipped. */
export interface Extraction {
  memories: ExtractedMemory[];
  skipped: string[];
}

/** Pulls memories out of a conversation. Expected failures are reported in `skipped`, never thrown. */
export interface Extractor {
  readonly name: string;
  extract(conversation: readonly ChatMessage[], userId: string): Promise<Extraction>;
}

/** A sentence-level extraction rule: a sentence of `role` matching `cue` becomes a memory of `type`. */
export interface ExtractionRule {
  type: MemoryType;
  /** Whose sentences the rule reads. @default 'user' */
  role?: 'user' | 'assistant';
  /** How strongly the cue signals a memory worth keeping, 0..1. */
  strength: number;
  cue: RegExp | ((sentence: string) => boolean);
}

const ACCOUNT_ENTITIES = new Set(['identifier', 'email', 'phone']);

/** Sentence-level cues of the {@link RuleExtractor}; the first rule that matches a sentence wins. */
export const EXTRACTION_RULES: readonly ExtractionRule[] = [
  { type: 'semantic', strength: 0.7, cue: /\b(?:I (?:always|never|prefer|hate|dislike)|I(?:'d| would) (?:rather|prefer)|please (?:always|never|don't|do not))\b/i },
  { type: 'episodic', strength: 0.6, cue: /\b(?:complain\w*|problem|issue|error|delay\w*|late|damaged|broken|keeps? (?:dropping|crashing|failing|freezing)|(?:never|hasn't|has not|haven't|didn't|did not|doesn't|isn't|won't|can't|still not) (?:arrived?|c[oa]me|received?|work(?:ed|ing)?|connect|load)|wrong item|overcharged|charged twice|refund\w*|cancel\w*|lost|missing)\b/i },
  { type: 'semantic', strength: 0.6, cue: /\bmy [a-z][a-z -]{1,30}? (?:is|are|was changed to)\b/i },
  { type: 'semantic', strength: 0.5, cue: /\bI (?:really )?(?:like|love|want|need|usually|am allergic|can't stand)\b/i },
  { type: 'episodic', strength: 0.4, cue: /\b(?:I|we|my)\b.*\b(?:yesterday|today|last (?:week|month|year|night)|ago)\b|\bI (?:ordered|bought|booked|received|called|paid|moved|returned|went|visited|started|finished)\b/i },
  { type: 'semantic', strength: 0.4, cue: (sentence) => findEntities(sentence).some((entity) => ACCOUNT_ENTITIES.has(entity.kind)) },
  { type: 'episodic', strength: 0.5, role: 'assistant', cue: /\b(?:I've|I have|we've|we have) (?:issued|processed|refunded|cancell?ed|booked|changed|updated|reset|sent|escalated|replaced)\b/i },
];

/** A user message saying the last suggestion worked. */
const RESOLUTION_CUE = /\b(?:(?:that|this|it) (?:fixed|solved|resolved|worked|did it)|(?:works|working|fixed) now|problem solved|all good now)\b/i;
/** Agent sentences that carry no part of a fix. */
const PLEASANTRY = /^(?:sorry|apologies|thanks|thank you|hi|hello|great|glad|no problem|you're welcome)\b/i;
/** A sentence leaning on the one before it ("It was due on Jan 15"). */
const ANAPHORA = /^(?:it|this|that|they|these|those)\b/i;

const matches = (rule: ExtractionRule, sentence: string) => (typeof rule.cue === 'function' ? rule.cue(sentence) : rule.cue.test(sentence));

/** Importance grows with the cue's strength and the number of key entities (ids, dates, amounts...). */
function importanceOf(strength: number, sentence: string): number {
  return Math.min(1, Math.round((strength + 0.1 * countEntities(sentence)) * 100) / 100);
}

/** First person to third person, so a memory reads the same wherever it is shown. */
function aboutUser(sentence: string): string {
  const text = sentence
    .trim()
    .replace(/^(?:hi|hello|hey)\b[,!.]?\s*/i, '')
    .replace(/\bI(?:'m| am)\b/g, 'User is')
    .replace(/\bI(?:'ve| have)\b/g, 'User has')
    .replace(/\bI was\b/g, 'User was')
    .replace(/\bI ((?:always |never |really |usually )?)(prefer|like|love|want|need|hate|dislike|use|live|work|own)\b/g, 'User $1$2s')
    .replace(/\bI\b/g, 'User')
    .replace(/\b[Mm]y\b/g, "user's")
    .replace(/\bme\b/g, 'the user');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const sentencesOf = (text: string) => splitSentences(text).map((s) => s.trim()).filter((s) => s.length > 0);

/**
 * The offline default: sentence-level patterns. User sentences stating preferences ("I prefer",
 * "I never", "please always"), profile facts ("my email is") and account ids, emails or phones
 * become semantic memories; complaints and dated events become episodic, as do the agent's
 * reported actions ("I've issued a refund"); a user confirming a fix ("that fixed it") turns the
 * agent's previous message into a procedural memory of what resolved the first complaint. A
 * sentence opening with "it"/"this" keeps the sentence before it. Each sentence yields at most one memory.
 */
export class RuleExtractor implements Extractor {
  readonly name = 'rules';

  constructor(private readonly rules: readonly ExtractionRule[] = EXTRACTION_RULES) {}

  async extract(conversation: readonly ChatMessage[]): Promise<Extraction> {
    const memories: ExtractedMemory[] = [];
    let issue: string | undefined;
    conversation.forEach((message, index) => {
      if (!message.content || (message.role !== 'user' && message.role !== 'assistant')) return;
      const at = message.timestamp ? { createdAt: message.timestamp } : {};
      let extractedFrom = -1;
      let previousRule: ExtractionRule | undefined;
      sentencesOf(message.content).forEach((sentence, i, sentences) => {
        if (message.role === 'user' && RESOLUTION_CUE.test(sentence)) {
          const fix = conversation.slice(0, index).findLast((m) => m.role === 'assistant' && m.content);
          if (fix) memories.push({ ...procedureOf(issue, fix.content!), ...at });
          return;
        }
        const leans = i > 0 && ANAPHORA.test(sentence);
        const extended = leans && extractedFrom === i - 1 ? previousRule : undefined;
        // "It was due on Jan 15" adds an entity to the memory before it, whatever its own cue.
        const rule = this.rules.find((candidate) => (candidate.role ?? 'user') === message.role && matches(candidate, sentence)) ?? (countEntities(sentence) > 0 ? extended : undefined);
        if (!rule) return;
        // The sentence leaned on is part of this memory now; one memory, not two overlapping ones.
        if (extended) memories.pop();
        const text = leans ? `${sentences[i - 1]} ${sentence}` : sentence;
        if (message.role === 'user' && rule.type === 'episodic') issue ??= text;
        const content = message.role === 'user' ? aboutUser(text) : `Agent: ${text}`;
        memories.push({ content, type: rule.type, importance: importanceOf(rule.strength, text), ...at });
        extractedFrom = i;
        previousRule = rule;
      });
    });
    return { memories, skipped: [] };
  }
}

function procedureOf(issue: string | undefined, fix: string): ExtractedMemory {
  const steps = sentencesOf(fix).filter((sentence) => !PLEASANTRY.test(sentence));
  const problem = issue ? ` "${aboutUser(issue)}"` : ' an issue';
  const content = `Resolved${problem} with: ${steps.join(' ') || fix.trim()} (the user confirmed it worked)`;
  return { content, type: 'procedural', importance: importanceOf(0.8, fix) };
}

/** The JSON an LLM extractor must answer with. */
export const extractionSchema = z.object({
  memories: z.array(
    z.object({
      content: z.string().trim().min(1, 'must not be empty'),
      type: z.enum(MEMORY_TYPES as [MemoryType, ...MemoryType[]]),
      importance: z.number().min(0).max(1),
      occurredAt: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date').optional(),
    }),
  ),
});

const EXTRACTION_PROMPT = [
  'Extract long-term memories about the customer from the conversation below.',
  'Answer with JSON only: {"memories": [{"content": string, "type": "semantic" | "episodic" | "procedural", "importance": number 0..1, "occurredAt"?: ISO 8601 date}]}.',
  'semantic: preferences and account or profile facts; episodic: what happened and when; procedural: what resolved an issue.',
  'Write each memory as one self-contained sentence about "the user"; keep ids, amounts and dates exactly. No memories: {"memories": []}.',
].join(' ');

/** Options of an {@link LlmExtractor}. */
export interface LlmExtractorOptions {
  /** Further attempts after a malformed answer, each told what was wrong. @default 1 */
  retries?: number;
  /** Messages per request; longer conversations are extracted in chunks. @default 40 */
  chunkMessages?: number;
  /** Where skip reasons are logged. @default console.warn */
  log?: (reason: string) => void;
}

/**
 * Extracts through any OpenAI-compatible chat endpoint, asking for JSON validated with
 * {@link extractionSchema}. A malformed answer is retried with the validation error; a chunk that
 * stays malformed, or whose request fails (after the client's own retries), is skipped and its
 * reason logged and returned, never thrown.
 */
export class LlmExtractor implements Extractor {
  readonly name = 'llm';
  private readonly client: OpenAI;
  private readonly retries: number;
  private readonly chunkMessages: number;
  private readonly log: (reason: string) => void;

  /** @throws ConfigError when `config.baseURL` is not an http(s) URL. */
  constructor(
    private readonly config: LlmConfig,
    options: LlmExtractorOptions = {},
  ) {
    this.client = createLlmClient(config);
    this.retries = Math.max(0, Math.floor(options.retries ?? 1));
    this.chunkMessages = Math.max(1, Math.floor(options.chunkMessages ?? 40));
    this.log = options.log ?? ((reason) => console.warn(`ctxbench memory extraction: ${reason}`));
  }

  async extract(conversation: readonly ChatMessage[]): Promise<Extraction> {
    const result: Extraction = { memories: [], skipped: [] };
    for (let start = 0; start < conversation.length; start += this.chunkMessages) {
      const chunk = conversation.slice(start, start + this.chunkMessages);
      const outcome = await this.extractChunk(chunk.map(messageToText).join('\n'));
      if (typeof outcome === 'string') {
        const reason = `messages ${start}-${start + chunk.length - 1} skipped: ${outcome}`;
        this.log(reason);
        result.skipped.push(reason);
      } else {
        const fallbackDate = chunk.findLast((m) => m.timestamp)?.timestamp;
        for (const { occurredAt, ...memory } of outcome) {
          const createdAt = occurredAt ? new Date(occurredAt).toISOString() : fallbackDate;
          result.memories.push({ ...memory, ...(createdAt ? { createdAt } : {}) });
        }
      }
    }
    return result;
  }

  /** The chunk's memories, or why it was skipped. */
  private async extractChunk(transcript: string): Promise<z.infer<typeof extractionSchema>['memories'] | string> {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: EXTRACTION_PROMPT },
      { role: 'user', content: transcript },
    ];
    let problem = '';
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      let answer: string;
      try {
        const response = await this.client.chat.completions.create({ model: this.config.model, temperature: 0, response_format: { type: 'json_object' }, messages });
        answer = response?.choices?.[0]?.message?.content ?? '';
      } catch (error) {
        return `the endpoint failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      problem = validationProblem(answer);
      if (problem === '') return extractionSchema.parse(JSON.parse(answer)).memories;
      messages.push({ role: 'assistant', content: answer }, { role: 'user', content: `That answer was invalid (${problem}). Answer again with the JSON only.` });
    }
    return `malformed answer after ${this.retries + 1} attempts: ${problem}`;
  }
}

/** Why an answer is not valid extraction JSON; '' when it is. */
function validationProblem(answer: string): string {
  let value: unknown;
  try {
    value = JSON.parse(answer);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  const parsed = extractionSchema.safeParse(value);
  if (parsed.success) return '';
  const issue = parsed.error.issues[0]!;
  return `${issue.path.join('.') || '(root)'} ${issue.message}`;
}

/** What {@link extractAndStore} did. */
export interface ExtractAndStoreResult {
  /** One result per extracted memory, in order: added, or merged into a near-duplicate. */
  stored: StoreResult[];
  skipped: string[];
}

/** Extracts memories from a conversation and stores them for `userId` (near-duplicates update existing memories). */
export async function extractAndStore(
  conversation: readonly ChatMessage[],
  userId: string,
  { memory, extractor = new RuleExtractor() }: { memory: LongTermMemory; extractor?: Extractor },
): Promise<ExtractAndStoreResult> {
  const { memories, skipped } = await extractor.extract(conversation, userId);
  const stored = await memory.storeMany(memories.map((m) => ({ ...m, userId, metadata: { extractor: extractor.name } })));
  return { stored, skipped };
}
