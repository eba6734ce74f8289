import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.js';
import { defineIntentProfile, profileExamples, type IntentProfileInput } from '../../../core/routing/intent-profile.js';
import { TECHCORP_INTENTS } from '../../../core/routing/profiles/techcorp.js';

const minimal = (): IntentProfileInput => ({
  name: 'shop',
  intents: [
    { name: 'refund', description: 'Money back', examples: ['I want my money back'] },
    { name: 'other', description: 'Anything else', examples: ['hello'] },
  ],
});

describe('TechCorp intent profile', () => {
  it('lists the six lab intents with the general question as fallback', () => {
    expect(TECHCORP_INTENTS.intents.map((i) => i.name)).toEqual(['order_inquiry', 'billing_question', 'technical_support', 'general_question', 'complaint', 'cancellation']);
    expect(TECHCORP_INTENTS.fallbackIntent).toBe('general_question');
  });

  it('has 25 to 40 distinct examples per intent', () => {
    for (const intent of TECHCORP_INTENTS.intents) {
      expect(new Set(intent.examples).size).toBe(intent.examples.length);
      expect(intent.examples.length).toBeGreaterThanOrEqual(25);
      expect(intent.examples.length).toBeLessThanOrEqual(40);
    }
  });
});

describe('defineIntentProfile', () => {
  it('fills in an empty description and keeps everything else', () => {
    expect(defineIntentProfile(minimal())).toEqual({ ...minimal(), description: '' });
  });

  it('turns a profile into labelled examples in profile order', () => {
    expect(profileExamples(defineIntentProfile(minimal()))).toEqual([
      { text: 'I want my money back', label: 'refund' },
      { text: 'hello', label: 'other' },
    ]);
  });

  it.each([
    ['an intent listed twice', (p: IntentProfileInput) => p.intents.push({ ...p.intents[0]! }), /intents.2.name = "refund" is listed twice/],
    ['an intent without examples', (p: IntentProfileInput) => (p.intents[0]!.examples = []), /intents.0.examples = \[\] must list at least one example/],
    ['a name with spaces', (p: IntentProfileInput) => (p.intents[1]!.name = 'other stuff'), /intents.1.name = "other stuff" must be a label without spaces/],
    ['a fallback that is not an intent', (p: IntentProfileInput) => (p.fallbackIntent = 'general'), /fallbackIntent = "general" must name one of the intents/],
    ['a single intent', (p: IntentProfileInput) => p.intents.pop(), /intents = .* must list at least two intents/],
    ['an unknown key', (p: IntentProfileInput) => Object.assign(p, { fallback: 'other' }), /fallback = "other" is not a known key/],
  ])('refuses %s, naming the key, the value and the problem', (_, spoil, message) => {
    const input = minimal();
    spoil(input);
    expect(() => defineIntentProfile(input)).toThrow(ConfigError);
    expect(() => defineIntentProfile(input)).toThrow(message);
  });
});
