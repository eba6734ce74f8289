import { z } from 'zod';
import { parseConfig, type LabelledExample } from './classifier.js';

/** One intent of a profile: what it means and how customers express it. */
export interface IntentDefinition {
  /** The label classifiers return, e.g. `billing_question` or `order_issue/status_delivery_time`. */
  name: string;
  /** What the intent covers, in a sentence (shown to the LLM classifier). */
  description: string;
  /** Customer utterances that express the intent (training data of the offline classifiers). */
  examples: string[];
  /** Names of the tools that serve the intent, for routing tools (SGD: every tool of the intent's services). */
  tools?: string[];
}

/** The intents of one deployment: data, not an enum, so each deployment brings its own. */
export interface IntentProfile {
  name: string;
  description: string;
  intents: IntentDefinition[];
  /** The general intent a router may fall back to on low confidence; one of `intents`. */
  fallbackIntent?: string;
}

const INTENT_NAME = /^\S+$/;

const intentSchema = z
  .object({
    name: z.string().regex(INTENT_NAME, 'must be a label without spaces, e.g. billing_question'),
    description: z.string().trim().min(1, 'must say what the intent covers'),
    examples: z.array(z.string().trim().min(1, 'must be a non-empty utterance')).min(1, 'must list at least one example utterance'),
    tools: z.array(z.string().min(1, 'must name a tool')).optional(),
  })
  .strict();

const profileSchema = z
  .object({
    name: z.string().trim().min(1, 'must name the profile'),
    description: z.string().default(''),
    intents: z.array(intentSchema).min(2, 'must list at least two intents'),
    fallbackIntent: z.string().optional(),
  })
  .strict()
  .superRefine((profile, context) => {
    const seen = new Set<string>();
    profile.intents.forEach((intent, i) => {
      if (seen.has(intent.name)) context.addIssue({ code: 'custom', path: ['intents', i, 'name'], message: 'is listed twice; give each intent one entry' });
      seen.add(intent.name);
    });
    if (profile.fallbackIntent !== undefined && !seen.has(profile.fallbackIntent)) {
      context.addIssue({ code: 'custom', path: ['fallbackIntent'], message: 'must name one of the intents' });
    }
  });

/** Input form of a profile: `description` may be left out. */
export type IntentProfileInput = Omit<IntentProfile, 'description'> & { description?: string };

/** Validates an intent profile at the edge; errors name the key, the value and the fix. */
export function defineIntentProfile(input: IntentProfileInput): IntentProfile {
  return parseConfig(profileSchema, input, 'intent profile', 'correct that value in the profile (see TECHCORP_INTENTS for a complete example)') as IntentProfile;
}

/** Every example of a profile as a labelled example, in profile order. */
export function profileExamples(profile: IntentProfile): LabelledExample[] {
  return profile.intents.flatMap((intent) => intent.examples.map((text) => ({ text, label: intent.name })));
}

/** A profile with one intent per label of the examples (in first-seen order), the examples as its utterances. */
export function intentProfileFromExamples(name: string, description: string, examples: readonly LabelledExample[], describe: (label: string) => string = (label) => label.replace(/[_/]+/g, ' ')): IntentProfile {
  const byLabel = new Map<string, string[]>();
  for (const { text, label } of examples) {
    const texts = byLabel.get(label);
    if (texts) texts.push(text);
    else byLabel.set(label, [text]);
  }
  return defineIntentProfile({ name, description, intents: [...byLabel].map(([label, texts]) => ({ name: label, description: describe(label), examples: texts })) });
}
