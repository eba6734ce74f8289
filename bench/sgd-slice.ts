// Makes the bundled SGD slice (datasets/data/sgd/) from a copy of the dataset in its original layout:
//   npx tsx bench/sgd-slice.ts [--from /work/shared/datasets/sgd] [--to datasets/data/sgd]
// Dev (replayed): every k-th multi-service dialogue (MULTI of them) and every k-th single-service
// one (SINGLE), in dialogue-id order, so two thirds of the replayed conversations span services.
// Train (router only): every training dialogue that states an intent the dev schema has (by
// domain and intent name). Dialogues are kept unchanged, written without
// indentation; the schemas and the license are copied as they are.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const MULTI = 200;
const SINGLE = 100;

interface Dialogue {
  dialogue_id: string;
  services: string[];
  turns: Array<{ speaker: string; frames: Array<{ service: string; actions: Array<{ act: string }>; state?: { active_intent: string } }> }>;
}

const readDialogues = (dir: string): Dialogue[] =>
  readdirSync(dir)
    .filter((name) => /^dialogues_.*\.json$/.test(name))
    .sort()
    .flatMap((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Dialogue[])
    .sort((a, b) => a.dialogue_id.localeCompare(b.dialogue_id, 'en', { numeric: true }));

/** `count` items spread evenly over the list (every k-th, k = length / count). */
const spread = <T>(items: readonly T[], count: number): T[] => (items.length <= count ? [...items] : Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!));

const domain = (service: string) => service.replace(/_\d+$/, '');

function main(): void {
  const { values } = parseArgs({ options: { from: { type: 'string', default: '/work/shared/datasets/sgd' }, to: { type: 'string', default: 'datasets/data/sgd' } } });
  const from = values.from!;
  const to = values.to!;
  mkdirSync(join(to, 'dev'), { recursive: true });
  mkdirSync(join(to, 'train'), { recursive: true });

  const dev = readDialogues(join(from, 'dev'));
  const replayed = [...spread(dev.filter((d) => d.services.length > 1), MULTI), ...spread(dev.filter((d) => d.services.length === 1), SINGLE)];
  replayed.sort((a, b) => a.dialogue_id.localeCompare(b.dialogue_id, 'en', { numeric: true }));
  writeFileSync(join(to, 'dev', 'dialogues_slice.json'), JSON.stringify(replayed));
  copyFileSync(join(from, 'dev', 'schema.json'), join(to, 'dev', 'schema.json'));

  const devSchema = JSON.parse(readFileSync(join(from, 'dev', 'schema.json'), 'utf8')) as Array<{ service_name: string; intents: Array<{ name: string }> }>;
  const labels = new Set(devSchema.flatMap((s) => s.intents.map((i) => `${domain(s.service_name)}/${i.name}`)));
  const statesDevIntent = (d: Dialogue) =>
    d.turns.some((t) => t.speaker === 'USER' && t.frames.some((f) => f.actions.some((a) => a.act === 'INFORM_INTENT') && labels.has(`${domain(f.service)}/${f.state?.active_intent}`)));
  const train = readDialogues(join(from, 'train')).filter(statesDevIntent);
  writeFileSync(join(to, 'train', 'dialogues_slice.json'), JSON.stringify(train));
  copyFileSync(join(from, 'train', 'schema.json'), join(to, 'train', 'schema.json'));
  copyFileSync(join(from, 'LICENSE.txt'), join(to, 'LICENSE.txt'));

  const services = new Set(replayed.flatMap((d) => d.services));
  console.log(`dev: ${replayed.length} dialogues (${replayed.filter((d) => d.services.length > 1).length} multi-service), ${services.size} of ${devSchema.length} services`);
  console.log(`train: ${train.length} dialogues`);
}

main();
