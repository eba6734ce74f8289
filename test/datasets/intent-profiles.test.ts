import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../core/errors.js';
import { abcd } from '../../datasets/abcd.js';
import { abcdIntentProfile, banking77IntentProfile, readLabelledExamples } from '../../datasets/intent-profiles.js';
import { fixtureDir } from './fixtures.js';

const fixtures = fixtureDir('intent-profiles');

describe('banking77 intent profile', () => {
  it('has one intent per category of the bundled train.csv, with every row as an example', async () => {
    const profile = await banking77IntentProfile();
    expect(profile.name).toBe('banking77');
    expect(profile.intents).toHaveLength(77);
    expect(profile.intents.reduce((sum, intent) => sum + intent.examples.length, 0)).toBe(10003);
    expect(profile.intents[0]).toMatchObject({ name: 'card_arrival', description: 'Online banking: card arrival' });
    expect(profile.intents[0]!.examples[0]).toBe('I am still waiting on my card?');
  });

  it('builds a profile from any text,category CSV', async () => {
    const file = fixtures.write('queries.csv', 'text,category\nWhere is my card?,card_arrival\n"Top up failed, why?",top_up_failed\nCard still not here,card_arrival\n');
    const profile = await banking77IntentProfile(file);
    expect(profile.intents).toEqual([
      { name: 'card_arrival', description: 'Online banking: card arrival', examples: ['Where is my card?', 'Card still not here'] },
      { name: 'top_up_failed', description: 'Online banking: top up failed', examples: ['Top up failed, why?'] },
    ]);
  });

  it('reads labelled examples through the banking77 loader, so malformed files fail the same way', async () => {
    const file = fixtures.write('bad.csv', 'query,intent\nhello,greeting\n');
    await expect(readLabelledExamples(file)).rejects.toThrow(DataError);
  });
});

describe('ABCD intent profile', () => {
  it('has one intent per flow/subflow of the ontology, described by its guideline title', async () => {
    const profile = await abcdIntentProfile();
    const ontology = JSON.parse(readFileSync(abcd.defaults().ontology, 'utf8')) as { intents: { subflows: Record<string, string[]> } };
    const expected = Object.entries(ontology.intents.subflows).flatMap(([flow, subflows]) => subflows.map((subflow) => `${flow}/${subflow}`));
    expect(profile.intents.map((intent) => intent.name).sort()).toEqual(expected.sort());
    expect(profile.intents.find((intent) => intent.name === 'product_defect/refund_initiate')!.description).toBe('Product Defect: Initiate Refund');
  });

  it('uses the first substantive customer utterance of each dialogue as an example of its subflow', async () => {
    const profile = await abcdIntentProfile();
    const examples = (name: string) => profile.intents.find((intent) => intent.name === name)!.examples;
    expect(examples('product_defect/return_size')).toContain('Hi! I need to return an item, can you help me with that?');
    expect(examples('storewide_query/timing')).toContain("I've got a promo code and I want to know when they expire.");
    expect(examples('storewide_query/timing')).not.toContain('HEY HO!');
  });

  it('keeps guideline lines that only one subflow has, and drops the shared ones', async () => {
    const profile = await abcdIntentProfile();
    const all = profile.intents.flatMap((intent) => intent.examples);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain('If the customer does not know, the default amount is $50');
    expect(profile.intents.every((intent) => intent.examples.length >= 2)).toBe(true);
  });

  it('reads the dialogues named in the options', async () => {
    const dialogues = JSON.parse(readFileSync(abcd.defaults().dialogues, 'utf8')) as Array<{ original: string[][] }>;
    dialogues[0]!.original = dialogues[0]!.original.map(([speaker, text]) => [speaker!, text === 'Crystal Minh' ? text : speaker === 'customer' ? 'These jeans are far too small for me' : text!]);
    const profile = await abcdIntentProfile({ dialogues: fixtures.write('dialogues.json', [dialogues[0]]) });
    expect(profile.intents.find((intent) => intent.name === 'product_defect/return_size')!.examples).toContain('These jeans are far too small for me');
  });
});
