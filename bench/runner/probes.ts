import { containsNormalized, normalizeForMatch, type AssembledContext, type Episode, type Probe, type ProbeMetric } from '../../core/index.js';

/** All text of a context, normalized once for presence checks. */
export function contextText(context: AssembledContext): string {
  return normalizeForMatch(
    context.messages
      .map((m) => [m.content ?? '', ...(m.tool_calls ?? []).map((c) => `${c.function.name} ${c.function.arguments}`)].join(' '))
      .join('\n'),
  );
}

const share = (hits: number, total: number) => (total === 0 ? 1 : hits / total);

/** Scores one turn's context against its probes; metrics the turn has no probe for are absent. */
export function scoreProbes(context: AssembledContext, probes: readonly Probe[], episode: Readonly<Episode>): Partial<Record<ProbeMetric, number>> {
  if (probes.length === 0) return {};
  const text = contextText(context);
  const scores: Partial<Record<ProbeMetric, number>> = {};
  for (const probe of probes) {
    switch (probe.kind) {
      case 'fact':
        scores.factRetention = share(probe.facts.filter((fact) => containsNormalized(text, fact)).length, probe.facts.length);
        break;
      case 'evidence':
        scores.evidenceRecall = share(probe.evidence.filter((evidence) => containsNormalized(text, evidence)).length, probe.evidence.length);
        if (probe.answer !== undefined) scores.answerPresence = containsNormalized(text, probe.answer) ? 1 : 0;
        break;
      case 'intent':
        if (context.intent) scores.routingAccuracy = context.intent.label === probe.expected ? 1 : 0;
        break;
      case 'document': {
        const document = episode.knowledge.find((doc) => doc.id === probe.documentId);
        const present = context.retrieved?.includes(probe.documentId) || (document !== undefined && containsNormalized(text, document.text));
        scores.guidelinePresence = present ? 1 : 0;
        break;
      }
      case 'retrieval':
        Object.assign(scores, retrievalScores(context.retrieved ?? [], probe.relevant));
        break;
      case 'tool':
        scores.toolPresence = context.tools?.some((tool) => tool.function.name === probe.name) ? 1 : 0;
        break;
    }
  }
  return scores;
}

/** recall@10, MRR@10 and nDCG@10 (graded gains 2^rel - 1) of a ranking against judgements. */
export function retrievalScores(ranking: readonly string[], relevant: Readonly<Record<string, number>>): Pick<Record<ProbeMetric, number>, 'recallAt10' | 'mrrAt10' | 'ndcgAt10'> {
  const top = ranking.slice(0, 10);
  const relevantIds = Object.keys(relevant).filter((id) => relevant[id]! > 0);
  const found = top.filter((id) => (relevant[id] ?? 0) > 0);
  const firstHit = top.findIndex((id) => (relevant[id] ?? 0) > 0);
  const gain = (grade: number) => 2 ** grade - 1;
  const dcg = top.reduce((sum, id, i) => sum + gain(relevant[id] ?? 0) / Math.log2(i + 2), 0);
  const ideal = relevantIds
    .map((id) => relevant[id]!)
    .sort((a, b) => b - a)
    .slice(0, 10)
    .reduce((sum, grade, i) => sum + gain(grade) / Math.log2(i + 2), 0);
  return {
    recallAt10: share(found.length, relevantIds.length),
    mrrAt10: firstHit < 0 ? 0 : 1 / (firstHit + 1),
    ndcgAt10: ideal === 0 ? 0 : dcg / ideal,
  };
}
