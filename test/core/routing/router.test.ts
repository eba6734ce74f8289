import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.js';
import type { Classification, IntentClassifier, RankedIntent } from '../../../core/routing/classifier.js';
import { profileExamples } from '../../../core/routing/intent-profile.js';
import { LinearIntentClassifier } from '../../../core/routing/linear-classifier.js';
import { TECHCORP_INTENTS } from '../../../core/routing/profiles/techcorp.js';
import { IntentRouter } from '../../../core/routing/router.js';

/** A classifier that always answers with the given ranking. */
const fixed = (ranked: RankedIntent[], extra: Partial<Classification> = {}): IntentClassifier => ({
  name: 'fixed',
  labels: ranked.map((r) => r.label),
  classify: async () => ({ ranked, classifier: 'fixed', ...extra }),
});
const ranking = (...confidences: number[]) => confidences.map((confidence, i) => ({ label: `intent_${i}`, confidence }));

describe('IntentRouter above the threshold', () => {
  it('routes to the top intent alone and traces the decision', async () => {
    const router = new IntentRouter({ classifier: fixed(ranking(0.8, 0.15, 0.05)), threshold: 0.6, fallbackIntent: 'general' });
    expect(await router.route('hello')).toEqual({
      query: 'hello',
      intents: ['intent_0'],
      decision: 'confident',
      confidence: 0.8,
      threshold: 0.6,
      candidates: ranking(0.8, 0.15, 0.05),
      classifier: 'fixed',
    });
  });

  it('counts a confidence equal to the threshold as confident', async () => {
    const router = new IntentRouter({ classifier: fixed(ranking(0.5, 0.5)), threshold: 0.5, fallbackIntent: 'general' });
    expect((await router.route('x')).decision).toBe('confident');
  });
});

describe('IntentRouter below the threshold', () => {
  it('falls back to the general intent under the fallback policy', async () => {
    const router = new IntentRouter({ classifier: fixed(ranking(0.4, 0.35, 0.25)), threshold: 0.6, lowConfidence: 'fallback', fallbackIntent: 'general' });
    expect(await router.route('hmm')).toMatchObject({ intents: ['general'], decision: 'fallback', confidence: 0.4, candidates: ranking(0.4, 0.35, 0.25) });
  });

  it('selects the two most likely intents under the top-two policy', async () => {
    const router = new IntentRouter({ classifier: fixed(ranking(0.4, 0.35, 0.25)), threshold: 0.6, lowConfidence: 'top-two' });
    expect(await router.route('hmm')).toMatchObject({ intents: ['intent_0', 'intent_1'], decision: 'top-two', confidence: 0.4 });
  });

  it('keeps only the configured number of candidates in the trace', async () => {
    const router = new IntentRouter({ classifier: fixed(ranking(0.3, 0.2, 0.2, 0.1, 0.1, 0.1)), lowConfidence: 'top-two', candidates: 3 });
    expect((await router.route('x')).candidates).toHaveLength(3);
  });

  it('passes the classifier fallback reason on to the trace', async () => {
    const router = new IntentRouter({ classifier: fixed(ranking(0.9, 0.1), { classifier: 'linear', fallback: { from: 'llm', reason: 'LLM request failed: 500' } }), fallbackIntent: 'general' });
    expect(await router.route('x')).toMatchObject({ classifier: 'linear', fallback: { from: 'llm', reason: 'LLM request failed: 500' } });
  });

  it('routes to the top intent exactly when its confidence reaches the threshold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), async (top, threshold) => {
        const router = new IntentRouter({ classifier: fixed([{ label: 'a', confidence: top }, { label: 'b', confidence: 1 - top }]), threshold, fallbackIntent: 'general' });
        const trace = await router.route('q');
        expect(trace.intents).toEqual(top >= threshold ? ['a'] : ['general']);
      }),
    );
  });
});

describe('IntentRouter on the TechCorp classifier', () => {
  const router = new IntentRouter({ classifier: LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS)), threshold: 0.5, fallbackIntent: TECHCORP_INTENTS.fallbackIntent! });

  it('routes a clear query confidently', async () => {
    expect(await router.route('Why was I charged twice?')).toMatchObject({ intents: ['billing_question'], decision: 'confident', classifier: 'linear' });
  });

  it('sends gibberish to the general intent', async () => {
    expect(await router.route('zxq vbnm plok')).toMatchObject({ intents: ['general_question'], decision: 'fallback' });
  });
});

describe('IntentRouter options', () => {
  it('requires a fallback intent under the fallback policy', () => {
    expect(() => new IntentRouter({ classifier: fixed(ranking(1, 0)) })).toThrow(ConfigError);
    expect(() => new IntentRouter({ classifier: fixed(ranking(1, 0)) })).toThrow(/fallbackIntent = undefined is missing/);
  });

  it('refuses a threshold outside 0..1, naming the key and the value', () => {
    expect(() => new IntentRouter({ classifier: fixed(ranking(1, 0)), threshold: 1.5, lowConfidence: 'top-two' })).toThrow(/threshold = 1.5 must be a confidence from 0 to 1/);
  });

  it('refuses an unknown policy and an unknown key', () => {
    expect(() => new IntentRouter({ classifier: fixed(ranking(1, 0)), lowConfidence: 'ask' as 'top-two' })).toThrow(/lowConfidence = "ask"/);
    expect(() => new IntentRouter({ classifier: fixed(ranking(1, 0)), lowConfidence: 'top-two', treshold: 0.5 } as never)).toThrow(/treshold = 0.5 is not a known key/);
  });
});
