import type { LabelledExample } from '../core/routing/classifier.js';
import { defineIntentProfile, type IntentDefinition, type IntentProfile } from '../core/routing/intent-profile.js';
import { abcd, type AbcdOptions } from './abcd.js';
import { abcdGuidelineProfile, humanize } from './abcd-intents.js';
import { banking77, readBanking77Examples } from './banking77.js';

/** Labelled examples from any CSV with the columns `text,category`, every row, read as the banking77 loader reads them. @default the bundled train.csv */
export async function readLabelledExamples(file: string = banking77.defaults().file): Promise<LabelledExample[]> {
  return readBanking77Examples(file);
}

/** The banking77 profile: one intent per category of a `text,category` CSV, its rows as examples. @default the bundled train.csv */
export async function banking77IntentProfile(file: string = banking77.defaults().file): Promise<IntentProfile> {
  const byLabel = new Map<string, string[]>();
  for (const { text, label } of await readLabelledExamples(file)) (byLabel.get(label) ?? byLabel.set(label, []).get(label)!).push(text);
  const intents = [...byLabel].map(([name, examples]): IntentDefinition => ({ name, description: `Online banking: ${humanize(name).toLowerCase()}`, examples }));
  return defineIntentProfile({ name: 'banking77', description: 'banking77: 77 intents of online-banking customer queries (PolyAI, CC BY 4.0)', intents });
}

/**
 * The ABCD profile: one intent per subflow, named `<flow>/<subflow>`. The description is the
 * guideline's title; the examples are the title, the flow and subflow in words, the guideline
 * lines no other subflow shares, and the first substantive customer utterance of each dialogue
 * of that subflow. Reads the files through the ABCD loader. @default the bundled ABCD files
 */
export async function abcdIntentProfile(options: Partial<AbcdOptions> = {}): Promise<IntentProfile> {
  const { episodes } = await abcd.load({ ...abcd.defaults(), ...options });
  const utterances = new Map<string, string[]>();
  for (const episode of episodes) {
    const intent = `${episode.metadata!.flow}/${episode.metadata!.subflow}`;
    const first = episode.messages.find((m) => m.role === 'user' && (m.content ?? '').split(/\s+/).length >= 4)?.content;
    if (first) (utterances.get(intent) ?? utterances.set(intent, []).get(intent)!).push(first);
  }
  return abcdGuidelineProfile(episodes[0]?.knowledge ?? [], utterances);
}
