import type { KnowledgeDocument } from '../core/harness/episode.js';
import { defineIntentProfile, type IntentDefinition, type IntentProfile } from '../core/routing/intent-profile.js';

/** "card_arrival" -> "Card arrival". */
export function humanize(name: string): string {
  const words = name.replace(/[_/]+/g, ' ').trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The lines of a guideline document without step numbers, bullets and [Button] markers. */
function guidelineLines(doc: KnowledgeDocument): string[] {
  return doc.text
    .split('\n')
    .map((line) => line.replace(/^\s*(?:\d+\.|-)\s*/, '').replace(/\[([^\]]*)\]/g, '$1').trim())
    .filter((line) => line.split(/\s+/).length >= 3);
}

/**
 * The ABCD profile: one intent per guideline (`<flow>/<subflow>`), described by its title, with
 * the title, the name in words and the guideline lines no other subflow shares as examples, plus
 * any customer utterances given per intent.
 */
export function abcdGuidelineProfile(knowledge: readonly KnowledgeDocument[], utterances: ReadonlyMap<string, readonly string[]> = new Map()): IntentProfile {
  const guidelines = knowledge.filter((doc) => doc.id.startsWith('guideline/'));
  const lineCounts = new Map<string, number>();
  for (const line of guidelines.flatMap((doc) => [...new Set(guidelineLines(doc))])) lineCounts.set(line, (lineCounts.get(line) ?? 0) + 1);
  const intents = guidelines.map((doc): IntentDefinition => {
    const name = doc.id.slice('guideline/'.length);
    const distinctive = guidelineLines(doc).filter((line) => lineCounts.get(line) === 1);
    const title = doc.title.split(': ').pop()!;
    return { name, description: doc.title, examples: [...new Set([title, humanize(name), ...distinctive, ...(utterances.get(name) ?? [])])] };
  });
  return defineIntentProfile({ name: 'abcd', description: 'ABCD retail customer service: one intent per flow/subflow of the agent guidelines (ASAPP, MIT)', intents });
}
