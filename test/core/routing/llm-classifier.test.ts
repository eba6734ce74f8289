import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors.js';
import { profileExamples } from '../../../core/routing/intent-profile.js';
import { LinearIntentClassifier } from '../../../core/routing/linear-classifier.js';
import { LlmIntentClassifier } from '../../../core/routing/llm-classifier.js';
import { TECHCORP_INTENTS } from '../../../core/routing/profiles/techcorp.js';
import { chatCompletion, startFakeOpenAi, type FakeResponse } from '../../support/openai-server.js';

const offline = LinearIntentClassifier.train(profileExamples(TECHCORP_INTENTS));
let reply: () => FakeResponse = () => chatCompletion('{}');
let server: Awaited<ReturnType<typeof startFakeOpenAi>>;
let llm: LlmIntentClassifier;

beforeAll(async () => {
  server = await startFakeOpenAi({ '/v1/chat/completions': () => reply() });
  llm = new LlmIntentClassifier({ llm: { baseURL: server.baseURL, apiKey: 'test', model: 'test-model', maxRetries: 0 }, profile: TECHCORP_INTENTS, fallback: offline });
});
afterAll(() => server.close());

const answer = (intents: Array<{ label: string; confidence: number }>) => chatCompletion(JSON.stringify({ intents }));

describe('LLM classifier with a valid answer', () => {
  it('uses the intents and confidences of the JSON answer', async () => {
    reply = () => answer([{ label: 'billing_question', confidence: 0.7 }, { label: 'complaint', confidence: 0.2 }]);
    const { ranked, classifier, fallback } = await llm.classify('Why was I charged twice?');
    expect(classifier).toBe('llm');
    expect(fallback).toBeUndefined();
    expect(ranked.slice(0, 2)).toEqual([
      { label: 'billing_question', confidence: 0.7 },
      { label: 'complaint', confidence: 0.2 },
    ]);
    expect(ranked).toHaveLength(6);
    expect(ranked.reduce((sum, r) => sum + r.confidence, 0)).toBeCloseTo(1, 9);
  });

  it('scales confidences that sum to more than 1 down to 1', async () => {
    reply = () => answer([{ label: 'cancellation', confidence: 0.9 }, { label: 'complaint', confidence: 0.6 }]);
    const { ranked } = await llm.classify('cancel it now');
    expect(ranked[0]).toEqual({ label: 'cancellation', confidence: 0.6 });
    expect(ranked[1]!.confidence).toBeCloseTo(0.4, 9);
    expect(ranked[2]!.confidence).toBe(0);
  });

  it('asks for JSON with every intent and its description in the prompt, and the query as the user message', async () => {
    reply = () => answer([{ label: 'order_inquiry', confidence: 1 }]);
    await llm.classify('Where is my order?');
    const body = server.requests.at(-1)!.body as { model: string; response_format: unknown; messages: Array<{ role: string; content: string }> };
    expect(body.model).toBe('test-model');
    expect(body.response_format).toEqual({ type: 'json_object' });
    for (const intent of TECHCORP_INTENTS.intents) expect(body.messages[0]!.content).toContain(`- ${intent.name}: ${intent.description}`);
    expect(body.messages[1]).toEqual({ role: 'user', content: 'Where is my order?' });
  });
});

describe('LLM classifier fallback', () => {
  const expectFallback = async (reason: RegExp) => {
    const result = await llm.classify('Where is my order?');
    expect(result.classifier).toBe('linear');
    expect(result.ranked).toEqual(offline.classifySync('Where is my order?').ranked);
    expect(result.fallback).toEqual({ from: 'llm', reason: expect.stringMatching(reason) });
  };

  it('falls back to the offline classifier on invalid JSON, saying why', async () => {
    reply = () => chatCompletion('billing_question, I think');
    await expectFallback(/^LLM answer is not valid JSON/);
  });

  it('falls back on an HTTP 500, saying why', async () => {
    reply = () => ({ status: 500, body: { error: { message: 'upstream exploded' } } });
    await expectFallback(/^LLM request failed: 500/);
  });

  it('falls back on JSON of the wrong shape, naming the field', async () => {
    reply = () => chatCompletion(JSON.stringify({ intents: [{ label: 'order_inquiry', confidence: 'high' }] }));
    await expectFallback(/does not match .*intents\.0\.confidence/);
  });

  it('falls back on an intent that is not in the profile', async () => {
    reply = () => answer([{ label: 'refund', confidence: 0.9 }]);
    await expectFallback(/unknown intent "refund"/);
  });

  it('falls back on an empty answer', async () => {
    reply = () => chatCompletion('');
    await expectFallback(/LLM answer is empty/);
  });
});

describe('LLM classifier setup', () => {
  it('refuses a fallback that does not know the profile intents', async () => {
    const other = LinearIntentClassifier.train([
      { text: 'a b c', label: 'x' },
      { text: 'd e f', label: 'y' },
    ]);
    expect(() => new LlmIntentClassifier({ llm: { baseURL: 'http://127.0.0.1:1/v1', apiKey: 'k', model: 'm' }, profile: TECHCORP_INTENTS, fallback: other })).toThrow(ConfigError);
  });

  it('refuses a negative number of prompt examples', () => {
    const options = { llm: { baseURL: 'http://127.0.0.1:1/v1', apiKey: 'k', model: 'm' }, profile: TECHCORP_INTENTS, fallback: offline };
    expect(() => new LlmIntentClassifier({ ...options, examplesPerIntent: -1 })).toThrow(/examplesPerIntent = -1 must be a whole number of 0 or more/);
  });
});
