import type { LabelledExample } from '../core/routing/classifier.js';
import { defineIntentProfile, type IntentProfile } from '../core/routing/intent-profile.js';
import { humanize } from './abcd-intents.js';
import { intentLabel, toolName, type SgdSchema } from './sgd-schema.js';

/**
 * The SGD routing profile over the replayed schema: one intent per domain and intent name
 * (`Hotels/SearchHotel`), since services of one domain (Hotels_1, Hotels_4) offer the same
 * intents and nothing a user says tells them apart. Its tools are every tool of the domain's
 * services (the intent's own and its siblings, e.g. SearchHotel and ReserveHotel), so a routed
 * conversation can go on to the next step, and the same intent of other domains (FindMovies of
 * Media_2 and Movies_2). Examples: the schema descriptions of the intent, its service and its
 * slots (descriptions and categorical values), from the replayed and the training schema, and
 * the training utterances, matched by domain and intent name; never a replayed utterance.
 */
export function sgdIntentProfile(schema: SgdSchema, trainingSchema: SgdSchema | undefined, utterances: readonly LabelledExample[]): IntentProfile {
  const examples = new Map<string, Set<string>>();
  const add = (label: string, text: string) => examples.get(label)?.add(text.trim());
  for (const service of schema.values()) {
    for (const intent of service.intents.values()) {
      const label = intentLabel(service.name, intent.name);
      if (!examples.has(label)) examples.set(label, new Set([humanize(intent.name.replace(/([a-z])([A-Z])/g, '$1 $2'))]));
    }
  }
  for (const service of [...schema.values(), ...(trainingSchema?.values() ?? [])]) {
    for (const intent of service.intents.values()) {
      const label = intentLabel(service.name, intent.name);
      add(label, intent.description);
      add(label, `${intent.description}: ${service.description}`);
      const slots = [...intent.required, ...Object.keys(intent.optional)].flatMap((name) => service.slots.get(name) ?? []);
      add(label, slots.map((slot) => [slot.description, ...slot.values].join(' ')).join('. '));
    }
  }
  for (const { text, label } of utterances) add(label, text);
  const catalog = [...schema.values()].flatMap((service) => [...service.intents.keys()].map((intent) => ({ service, intent, name: toolName(service.name, intent) })));
  // Every tool of the domain's services, and the same intent of other domains (Media_2 and Movies_2 both FindMovies).
  const toolsOf = (label: string) => {
    const [domain, intent] = label.split('/') as [string, string];
    return catalog.filter((tool) => tool.service.domain === domain || tool.intent === intent).map((tool) => tool.name);
  };
  return defineIntentProfile({
    name: 'sgd',
    description: 'Schema-Guided Dialogue: one intent per service domain and intent of the schema (Google, CC BY-SA 4.0)',
    intents: [...examples].map(([name, texts]) => ({
      name,
      description: `${humanize(name.replace(/([a-z])([A-Z])/g, '$1 $2'))}`,
      examples: [...texts].filter((text) => text.length > 0),
      tools: toolsOf(name),
    })),
  });
}
