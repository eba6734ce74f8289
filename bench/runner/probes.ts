import { containsNormalized, factPresent, isDeepFrozen, normalizeForMatch, type AssembledContext, type ChatMessage, type Episode, type Fact, type FactOrigin, type KnowledgeDocument, type Probe, type ProbeMetric, type ToolDefinition } from '../../core/index.js';

/** Share of a document's text (its sentences, by characters) that must be in a context for the document to count as present. */
export const DOCUMENT_PRESENCE = 0.8;

/** All text of a context (messages and tool definitions), normalized once for presence checks. */
export function contextText(context: AssembledContext): string {
  // Equal to normalizing the pieces joined by newlines: every separator and run of other
  // characters becomes one space either way. Each piece is normalized once per message or tool
  // object, since a replay sends the same history messages again at every turn.
  const words: string[] = [];
  for (const message of context.messages) pushWords(words, normalizedMessage(message));
  for (const tool of context.tools ?? []) pushWords(words, normalizedTool(tool));
  return ` ${words.join(' ')} `;
}

function pushWords(words: string[], normalized: string): void {
  const core = normalized.slice(1, -1);
  if (core.length > 0) words.push(core);
}

const messageTexts = new WeakMap<ChatMessage, { content: string | null; calls: string; normalized: string }>();
const toolTexts = new WeakMap<ToolDefinition, { json: string | undefined; normalized: string }>();

function normalizedMessage(message: ChatMessage): string {
  const calls = (message.tool_calls ?? []).map((c) => `${c.function.name} ${c.function.arguments}`).join(' ');
  const known = messageTexts.get(message);
  if (known !== undefined && known.content === message.content && known.calls === calls) return known.normalized;
  const normalized = normalizeForMatch(`${message.content ?? ''} ${calls}`);
  messageTexts.set(message, { content: message.content, calls, normalized });
  return normalized;
}

/** A deeply frozen definition (as the runner replays them) is normalized once; any other again when its JSON changed. */
function normalizedTool(tool: ToolDefinition): string {
  const known = toolTexts.get(tool);
  if (known !== undefined && known.json === undefined) return known.normalized;
  const json = JSON.stringify(tool.function);
  if (known !== undefined && known.json === json) return known.normalized;
  const normalized = normalizeForMatch(json);
  toolTexts.set(tool, { json: isDeepFrozen(tool) ? undefined : json, normalized });
  return normalized;
}

const share = (hits: number, total: number) => (total === 0 ? 1 : hits / total);

const ORIGIN_METRIC: Record<FactOrigin, ProbeMetric> = {
  record: 'recordFactRetention',
  customer: 'customerFactRetention',
  tool: 'toolFactRetention',
  agent: 'agentFactRetention',
};

/** Scores one turn's context against its probes; metrics the turn has no probe for are absent. */
export function scoreProbes(context: AssembledContext, probes: readonly Probe[], episode: Readonly<Episode>): Partial<Record<ProbeMetric, number>> {
  if (probes.length === 0) return {};
  const text = contextText(context);
  const documents = new Map(episode.knowledge.map((doc) => [doc.id, doc]));
  const present = (id: string) => {
    const document = documents.get(id);
    return document !== undefined && documentPresent(text, document);
  };
  const scores: Partial<Record<ProbeMetric, number>> = {};
  for (const probe of probes) {
    switch (probe.kind) {
      case 'fact':
        Object.assign(scores, factScores(text, probe.facts));
        break;
      case 'evidence':
        // A question without evidence labels says nothing about recall: it stays unscored.
        if (probe.evidence.length > 0) scores.evidenceRecall = share(probe.evidence.filter((evidence) => containsNormalized(text, evidence)).length, probe.evidence.length);
        if (probe.answer !== undefined) scores.answerPresence = containsNormalized(text, probe.answer) ? 1 : 0;
        break;
      case 'intent':
        if (context.intent) scores.routingAccuracy = context.intent.label === probe.expected ? 1 : 0;
        break;
      case 'document':
        scores.guidelinePresence = present(probe.documentId) ? 1 : 0;
        break;
      case 'policy':
        scores.policyPresence = share(probe.documentIds.filter(present).length, probe.documentIds.length);
        break;
      case 'retrieval':
        Object.assign(scores, retrievalScores(context.retrieved, probe.relevant, present));
        break;
      case 'tool':
        scores.toolPresence = context.tools?.some((tool) => tool.function.name === probe.name) ? 1 : 0;
        break;
    }
  }
  return scores;
}

/** Retention of the conversation's facts (the headline) and of the facts of each origin. */
function factScores(text: string, facts: readonly Fact[]): Partial<Record<ProbeMetric, number>> {
  const scores: Partial<Record<ProbeMetric, number>> = {};
  const kept = (group: readonly Fact[]) => share(group.filter((fact) => factPresent(text, fact)).length, group.length);
  const learned = facts.filter((fact) => fact.origin !== 'record');
  if (learned.length > 0) scores.factRetention = kept(learned);
  for (const [origin, metric] of Object.entries(ORIGIN_METRIC) as Array<[FactOrigin, ProbeMetric]>) {
    const group = facts.filter((fact) => fact.origin === origin);
    if (group.length > 0) scores[metric] = kept(group);
  }
  return scores;
}

const sentenceCache = new WeakMap<KnowledgeDocument, string[]>();

/** A document's sentences (and lines), normalized; the units its presence is measured in. */
function sentencesOf(document: KnowledgeDocument): string[] {
  let sentences = sentenceCache.get(document);
  if (!sentences) {
    sentences = document.text
      .split(/(?<=[.!?])\s+|\n+/)
      .map((sentence) => normalizeForMatch(sentence).trim())
      .filter((sentence) => sentence.length > 0);
    sentenceCache.set(document, sentences);
  }
  return sentences;
}

/** Whether at least {@link DOCUMENT_PRESENCE} of the document's text, by sentence, is in the normalized context. */
export function documentPresent(normalizedContext: string, document: KnowledgeDocument): boolean {
  const sentences = sentencesOf(document);
  const total = sentences.reduce((sum, sentence) => sum + sentence.length, 0);
  if (total === 0) return false;
  let found = 0;
  for (const sentence of sentences) if (normalizedContext.includes(` ${sentence} `)) found += sentence.length;
  return found / total >= DOCUMENT_PRESENCE;
}

type RetrievalMetric = 'documentRecall' | 'recallAt5' | 'recallAt10' | 'mrrAt10' | 'ndcgAt10';

/**
 * Document recall (share of the relevant documents whose text is in the context), comparable across
 * every strategy; and, where the strategy exposes a ranking, recall@5, recall@10, MRR@10 and
 * nDCG@10 (graded gains 2^rel - 1), where a ranked document counts only if it is also in the context.
 */
export function retrievalScores(ranking: readonly string[] | undefined, relevant: Readonly<Record<string, number>>, present: (id: string) => boolean): Partial<Record<RetrievalMetric, number>> {
  const relevantIds = Object.keys(relevant).filter((id) => relevant[id]! > 0);
  const scores: Partial<Record<RetrievalMetric, number>> = { documentRecall: share(relevantIds.filter(present).length, relevantIds.length) };
  if (!ranking) return scores;
  const grade = (id: string) => ((relevant[id] ?? 0) > 0 && present(id) ? relevant[id]! : 0);
  const top = ranking.slice(0, 10);
  const hitsWithin = (k: number) => top.slice(0, k).filter((id) => grade(id) > 0).length;
  const firstHit = top.findIndex((id) => grade(id) > 0);
  const gain = (g: number) => 2 ** g - 1;
  const dcg = top.reduce((sum, id, i) => sum + gain(grade(id)) / Math.log2(i + 2), 0);
  const ideal = relevantIds
    .map((id) => relevant[id]!)
    .sort((a, b) => b - a)
    .slice(0, 10)
    .reduce((sum, g, i) => sum + gain(g) / Math.log2(i + 2), 0);
  return {
    ...scores,
    recallAt5: share(hitsWithin(5), relevantIds.length),
    recallAt10: share(hitsWithin(10), relevantIds.length),
    mrrAt10: firstHit < 0 ? 0 : 1 / (firstHit + 1),
    ndcgAt10: ideal === 0 ? 0 : dcg / ideal,
  };
}

/** One thing a probe looked for, and whether the context held it. */
export interface ProbeCheck {
  probe: Probe['kind'];
  item: string;
  found: boolean;
}

/** Every item each probe looked for in a context, marked found or missing: what `ctxbench show` prints. */
export function explainProbes(context: AssembledContext, probes: readonly Probe[], episode: Readonly<Episode>): ProbeCheck[] {
  const text = contextText(context);
  const documents = new Map(episode.knowledge.map((doc) => [doc.id, doc]));
  const documentCheck = (probe: Probe['kind'], id: string): ProbeCheck => ({ probe, item: id, found: documents.has(id) && documentPresent(text, documents.get(id)!) });
  return probes.flatMap((probe): ProbeCheck[] => {
    switch (probe.kind) {
      case 'fact':
        return probe.facts.map((fact) => ({ probe: 'fact', item: `${fact.value} (${fact.origin}${fact.key ? `, ${fact.key}` : ''})`, found: factPresent(text, fact) }));
      case 'evidence':
        return [
          ...probe.evidence.map((evidence) => ({ probe: 'evidence' as const, item: evidence, found: containsNormalized(text, evidence) })),
          ...(probe.answer === undefined ? [] : [{ probe: 'evidence' as const, item: `answer: ${probe.answer}`, found: containsNormalized(text, probe.answer) }]),
        ];
      case 'intent':
        return [{ probe: 'intent', item: `${probe.expected} (routed: ${context.intent?.label ?? 'none'})`, found: context.intent?.label === probe.expected }];
      case 'document':
        return [documentCheck('document', probe.documentId)];
      case 'policy':
        return probe.documentIds.map((id) => documentCheck('policy', id));
      case 'retrieval':
        return Object.keys(probe.relevant)
          .filter((id) => probe.relevant[id]! > 0)
          .map((id) => documentCheck('retrieval', id));
      case 'tool':
        return [{ probe: 'tool', item: probe.name, found: context.tools?.some((tool) => tool.function.name === probe.name) ?? false }];
    }
  });
}
