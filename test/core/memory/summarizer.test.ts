import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ExtractiveCompressor, messageToText, TokenCounter, type ChatMessage } from '../../../core/index.js';
import { CUSTOMER_CUES, ExtractiveSummarizer, LlmSummarizer, MIN_PIECE_TOKENS } from '../../../core/memory/summarizer.js';
import { splitSentences } from '../../../core/text/segment.js';
import { chatCompletion, startFakeOpenAi, type FakeResponse } from '../../support/openai-server.js';

const counter = new TokenCounter({ model: 'gpt-4o' });
const user = (content: string): ChatMessage => ({ role: 'user', content });
const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });
const filler = (n: number) => Array.from({ length: n }, (_, i) => assistant(`Let me look into that for you, step ${i} of the usual process.`));
const shipments = (n: number) => Array.from({ length: n }, (_, i) => assistant(`Order ORD-${1000 + i} shipped on 2024-05-${String(10 + (i % 20)).padStart(2, '0')} for $${20 + i}.00.`));
// A cap that whole shipment lines fill exactly, so plain compression has no room left over.
const shipmentLines = (n: number) => n * counter.count(`${messageToText(shipments(1)[0]!)}\n`);

/** Up to `most` messages of the given roles, each up to six sentences drawn from `sentence`. */
const conversation = (sentence: fc.Arbitrary<string>, roles: Array<'user' | 'assistant' | 'tool'>, most: number) =>
  fc.array(fc.record({ role: fc.constantFrom(...roles), content: fc.array(sentence, { maxLength: 6 }).map((parts) => parts.join(' ')) }), { maxLength: most });

describe('ExtractiveSummarizer', () => {
  const summarizer = new ExtractiveSummarizer({ counter });

  it('keeps the ids, amounts and dates of the folded messages under a tight cap', async () => {
    const messages = [...filler(10), user('My reservation ZFA04Y was charged $245.50 on 2024-05-20.'), ...filler(10)];
    const summary = await summarizer.summarize(messages, { previousSummary: '', maxTokens: 40 });
    expect(summary).toContain('ZFA04Y');
    expect(summary).toContain('$245.50');
    expect(summary).toContain('2024-05-20');
  });

  it('never returns more tokens than the cap', async () => {
    const sentence = fc.constantFrom(
      'I prefer aisle seats.',
      'Order #12345 shipped on 2024-05-01.',
      'Refund $45.00 confirmed.',
      'ok 👋',
      '東京に行きます。',
      'plain words here',
      '{"reservations": ["NO6JO3"], "amount": 100}',
    );
    await fc.assert(
      fc.asyncProperty(conversation(sentence, ['user', 'assistant', 'tool'], 12), fc.array(sentence, { maxLength: 5 }), fc.integer({ min: 0, max: 120 }), async (messages, previous, maxTokens) => {
        const summary = await summarizer.summarize(messages, { previousSummary: previous.join(' '), maxTokens });
        expect(counter.count(summary)).toBeLessThanOrEqual(maxTokens);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps whole fact sentences, each on its own line, so a rewrite can weigh them one by one', async () => {
    // No cue words: these sentences are facts, kept whole or not at all.
    const sentence = fc.constantFrom(
      'The flight from JFK to MCO leaves on May 22nd.',
      'Can you help me with that?',
      'Aisle seats are available.',
      'Order #12345 shipped on 2024-05-01.',
      'The reservation ID is ZFA04Y and the total is $245.50.',
      'plain words here',
    );
    await fc.assert(
      fc.asyncProperty(conversation(sentence, ['user', 'assistant'], 8), fc.array(sentence, { maxLength: 4 }), fc.integer({ min: 1, max: 120 }), async (messages, previous, maxTokens) => {
        const previousSummary = previous.join(' ');
        const sentences = [previousSummary, ...messages.map(messageToText)].flatMap((passage) => splitSentences(passage).map((s) => ` ${s.trim().split(/\s+/).join(' ')} `));
        const summary = await summarizer.summarize(messages, { previousSummary, maxTokens });
        // Each line is one sentence or a run of its whole words: no cut-off fragment ("24" of
        // "2024-05-24"), and no two sentences run together on a line.
        for (const line of summary.split('\n').filter((l) => l.trim() !== '')) {
          const words = ` ${line.trim().split(/\s+/).join(' ')} `;
          expect(sentences.some((sentence) => sentence.includes(words))).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('drops a fact line it cannot keep whole rather than keeping a cut of it', async () => {
    const result: ChatMessage = { role: 'tool', name: 'search_direct_flight', tool_call_id: 'c1', content: JSON.stringify([{ flight_number: 'HAT069', date: '2024-05-24' }]) };
    const line = (field: string) => counter.count(`search_direct_flight[0].${field}\n`);
    // Room for neither line whole: the old summary kept a cut such as "05-24".
    const summary = await summarizer.summarize([result], { previousSummary: '', maxTokens: Math.min(line('flight_number: HAT069'), line('date: 2024-05-24')) - 2 });
    expect(summary).toBe('');
  });

  it('keeps the best run of whole words of a long unpunctuated message when no sentence fits whole', async () => {
    const message = user('hi there so the flight got moved again and now it leaves on 2024-05-24 from JFK can you look at reservation ZFA04Y');
    for (const maxTokens of [10, 20, 30]) {
      const summary = await summarizer.summarize([message], { previousSummary: '', maxTokens });
      expect(counter.count(summary)).toBeLessThanOrEqual(maxTokens);
      expect(summary).toMatch(/ZFA04Y|2024-05-24/);
    }
    const result: ChatMessage = { role: 'tool', name: 'book_reservation', tool_call_id: 'c1', content: 'Error: payment method credit_card_4421 declined for reservation ZFA04Y on 2024-05-24 because the card expired' };
    expect(await summarizer.summarize([result], { previousSummary: '', maxTokens: 20 })).toMatch(/ZFA04Y|credit_card_4421/);
  });

  it('keeps a field line whole when its value has a full stop in it', async () => {
    const result: ChatMessage = { role: 'tool', name: 'get_user_details', tool_call_id: 'c1', content: JSON.stringify({ address: { address1: '123 Main St. Apt 4' }, user_id: 'mia_li_3668' }) };
    const summary = await summarizer.summarize([result], { previousSummary: '', maxTokens: 200 });
    expect(summary.split('\n')).toContain('get_user_details.address.address1: 123 Main St. Apt 4');
    // And again when the summary is rewritten.
    expect((await summarizer.summarize([], { previousSummary: summary, maxTokens: 200 })).split('\n')).toContain('get_user_details.address.address1: 123 Main St. Apt 4');
  });

  it(`cuts nothing into pieces under ${MIN_PIECE_TOKENS} tokens of room`, async () => {
    expect(await summarizer.summarize([assistant('The booking for the trip from JFK to SFO is reservation ZFA04Y on 2024-05-24.')], { previousSummary: '', maxTokens: MIN_PIECE_TOKENS - 1 })).toBe('');
  });

  it('keeps a stated preference that entity-first compression alone would drop', async () => {
    const preference = 'I prefer window seats and please never call me before noon.';
    const messages = [user(preference), ...shipments(30)];
    const plain = new ExtractiveCompressor().compress(messages.map(messageToText).join('\n'), shipmentLines(3), { counter, keep: 'end' });
    expect(plain).not.toContain('window seats');
    expect(await summarizer.summarize(messages, { previousSummary: '', maxTokens: shipmentLines(3) })).toContain(preference);
  });

  it('keeps a decision to cancel and refund over routine chatter', async () => {
    const messages = [user('Yes, cancel it and refund the card, we agreed on that.'), ...filler(20)];
    expect(await summarizer.summarize(messages, { previousSummary: '', maxTokens: 30 })).toContain('cancel it and refund the card');
  });

  it('reads preferences from the customer only, decisions from either side', async () => {
    const cap = shipmentLines(2);
    const agentPreference = [assistant('I prefer to check the fare rules first.'), ...shipments(30)];
    const agentDecision = [assistant('Your refund was approved this morning.'), ...shipments(30)];
    expect(await summarizer.summarize(agentPreference, { previousSummary: '', maxTokens: cap })).not.toContain('fare rules');
    expect(await summarizer.summarize(agentDecision, { previousSummary: '', maxTokens: cap })).toContain('refund was approved');
  });

  it("keeps what the agent did, a tool call with its arguments, over facts that merely came later", async () => {
    const search: ChatMessage = { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'search_direct_flight', arguments: '{"origin":"IAH","destination":"LAS","date":"2024-05-24"}' } }] };
    const messages = [search, ...shipments(30)];
    const summary = await summarizer.summarize(messages, { previousSummary: '', maxTokens: shipmentLines(3) });
    expect(summary).toContain('search_direct_flight({"origin":"IAH","destination":"LAS","date":"2024-05-24"})');
  });

  it("keeps the customer's identity before the agent's tool calls when the cued share cannot hold both", async () => {
    const call = (i: number): ChatMessage => ({ role: 'assistant', content: null, tool_calls: [{ id: `c${i}`, type: 'function', function: { name: 'get_reservation_details', arguments: `{"reservation_id":"RES${100 + i}X"}` } }] });
    const messages = [user('Sure, my user ID is mia_li_3668.'), ...Array.from({ length: 12 }, (_, i) => call(i))];
    // Half the cap holds the identity and one call or two; the other half the facts (none here) would take.
    const summary = await summarizer.summarize(messages, { previousSummary: '', maxTokens: 80 });
    expect(summary).toContain('mia_li_3668');
    expect(summary).toContain('get_reservation_details({"reservation_id":"RES111X"})');
    expect(summary).not.toContain('RES100X');
  });

  it('keeps the sentence in which the customer gives their user id', async () => {
    const messages = [user('Sure, my user ID is mia_li_3668.'), ...shipments(30)];
    expect(await summarizer.summarize(messages, { previousSummary: '', maxTokens: shipmentLines(2) })).toContain('mia_li_3668');
  });

  it('takes its cue patterns as data', async () => {
    const messages = [user('Ship everything to the blue house.'), ...shipments(30)];
    const cued = new ExtractiveSummarizer({ counter, customerCues: [...CUSTOMER_CUES, /\bship (?:everything|it) to\b/i] });
    expect(await summarizer.summarize(messages, { previousSummary: '', maxTokens: shipmentLines(2) })).not.toContain('blue house');
    expect(await cued.summarize(messages, { previousSummary: '', maxTokens: shipmentLines(2) })).toContain('blue house');
  });

  it('keeps the previous summary\'s key facts when new messages arrive', async () => {
    const previousSummary = 'Customer mia_li_3668 holds reservation NO6JO3. The agent greeted the customer warmly.';
    const summary = await summarizer.summarize(filler(20), { previousSummary, maxTokens: 30 });
    expect(summary).toContain('mia_li_3668');
    expect(summary).toContain('NO6JO3');
  });

  it('turns a JSON tool result into one fact per line so a single id survives a large result', async () => {
    const details = { name: 'Mia Li', address: { city: 'Austin', zip: '78750' }, seats: Array.from({ length: 40 }, (_, i) => ({ row: i, free: true })), reservations: ['NO6JO3', 'AIXC49'] };
    const tool: ChatMessage = { role: 'tool', name: 'get_user_details', tool_call_id: 'call_1', content: JSON.stringify(details) };
    const summary = await summarizer.summarize([tool], { previousSummary: '', maxTokens: 25 });
    expect(summary).toContain('get_user_details.reservations: NO6JO3, AIXC49');
  });

  it('keeps an early field it has not kept yet over older lines of a field that comes again later', async () => {
    const user: ChatMessage = { role: 'tool', name: 'get_user_details', tool_call_id: 'call_1', content: JSON.stringify({ dob: '1980-12-24', payment_id: 'credit_card_9074831' }) };
    const reservations: ChatMessage[] = ['2024-05-12T00:14:30', '2024-05-08T09:17:09', '2024-05-12T09:36:29', '2024-05-02T11:03:41', '2024-05-09T16:20:05'].map((created, i) => ({
      role: 'tool',
      name: 'get_reservation_details',
      tool_call_id: `call_${i + 2}`,
      content: JSON.stringify({ reservation_id: `RES${i}XY`, created_at: created }),
    }));
    const summary = await summarizer.summarize([user, ...reservations], { previousSummary: '', maxTokens: 60 });
    expect(summary).toContain('get_user_details.dob: 1980-12-24');
    expect(summary).toContain('get_user_details.payment_id: credit_card_9074831');
    expect(summary).toContain('RES4XY');
  });

  it('leaves out a JSON field that only repeats the key its object sits under', async () => {
    const methods = { payment_methods: { certificate_4856383: { amount: 100, id: 'certificate_4856383' } } };
    const tool: ChatMessage = { role: 'tool', name: 'get_user_details', tool_call_id: 'call_1', content: JSON.stringify(methods) };
    expect(await summarizer.summarize([tool], { previousSummary: '', maxTokens: 100 })).toBe('get_user_details.payment_methods.certificate_4856383.amount: 100');
  });

  it('returns everything, tool calls included, when it fits the cap', async () => {
    const call: ChatMessage = { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_order', arguments: '{"id":"ORD-77"}' } }] };
    const summary = await summarizer.summarize([user('Where is my order?'), call, { role: 'tool', tool_call_id: 'c1', content: 'not json: in transit' }], { previousSummary: 'Earlier: nothing.', maxTokens: 200 });
    for (const part of ['Earlier: nothing.', 'Where is my order?', 'get_order({"id":"ORD-77"})', 'not json: in transit']) expect(summary).toContain(part);
  });

  it('rejects a statement share outside 0..1', () => {
    expect(() => new ExtractiveSummarizer({ statementShare: 1.5 })).toThrow(/statementShare = 1.5/);
  });

  it('returns an empty summary for a zero cap or nothing to summarize', async () => {
    expect(await summarizer.summarize(shipments(3), { previousSummary: 'x', maxTokens: 0 })).toBe('');
    expect(await summarizer.summarize([], { previousSummary: '', maxTokens: 100 })).toBe('');
  });
});

describe('LlmSummarizer', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function endpoint(answer: (body: Record<string, unknown>) => FakeResponse) {
    const server = await startFakeOpenAi({ '/v1/chat/completions': answer });
    close = server.close;
    const summarizer = new LlmSummarizer({ baseURL: server.baseURL, apiKey: 'test', model: 'test-model', maxRetries: 0 }, { counter });
    return { summarizer, requests: server.requests };
  }

  const messages = [user('My user id is mia_li_3668.'), assistant('I found reservation NO6JO3 for $120 on 2024-05-20.')];

  it('sends the previous summary and the messages in the prompt and returns the model\'s answer', async () => {
    const { summarizer, requests } = await endpoint(() => chatCompletion('mia_li_3668 holds NO6JO3 ($120, 2024-05-20).'));
    const summary = await summarizer.summarize(messages, { previousSummary: 'Customer asked about baggage.', maxTokens: 100 });
    expect(summary).toBe('mia_li_3668 holds NO6JO3 ($120, 2024-05-20).');
    expect(summarizer.lastFallbackReason).toBeUndefined();
    const prompt = JSON.stringify(requests[0]!.body.messages);
    expect(requests[0]!.body.model).toBe('test-model');
    for (const part of ['Customer asked about baggage.', 'My user id is mia_li_3668.', 'reservation NO6JO3', 'at most 100 tokens']) expect(prompt).toContain(part);
  });

  it('caps the model\'s answer to maxTokens', async () => {
    const { summarizer } = await endpoint(() => chatCompletion(Array.from({ length: 50 }, (_, i) => `Fact ${i} about the booking.`).join(' ')));
    const summary = await summarizer.summarize(messages, { previousSummary: '', maxTokens: 20 });
    expect(summary.length).toBeGreaterThan(0);
    expect(counter.count(summary)).toBeLessThanOrEqual(20);
  });

  it('falls back to the extractive summary with a reason when the endpoint answers 500', async () => {
    const { summarizer } = await endpoint(() => ({ status: 500, body: { error: { message: 'model overloaded' } } }));
    const options = { previousSummary: '', maxTokens: 50 };
    const summary = await summarizer.summarize(messages, options);
    expect(summary).toBe(await new ExtractiveSummarizer({ counter }).summarize(messages, options));
    expect(summarizer.lastFallbackReason).toMatch(/500.*model overloaded/);
  });

  it('falls back with a reason when the response carries no summary', async () => {
    const { summarizer } = await endpoint(() => ({ body: { id: 'x', choices: [] } }));
    const summary = await summarizer.summarize(messages, { previousSummary: '', maxTokens: 50 });
    expect(summary).toContain('NO6JO3');
    expect(summarizer.lastFallbackReason).toContain('without a summary');
  });

  it('clears the fallback reason once the model answers again', async () => {
    let calls = 0;
    const { summarizer } = await endpoint(() => (++calls === 1 ? { status: 500, body: {} } : chatCompletion('All good.')));
    await summarizer.summarize(messages, { previousSummary: '', maxTokens: 50 });
    expect(summarizer.lastFallbackReason).toBeDefined();
    expect(await summarizer.summarize(messages, { previousSummary: '', maxTokens: 50 })).toBe('All good.');
    expect(summarizer.lastFallbackReason).toBeUndefined();
  });

  it('rejects a base URL that is not http(s) when it is constructed', () => {
    expect(() => new LlmSummarizer({ baseURL: 'localhost:8080', apiKey: 'k', model: 'm' })).toThrow(ConfigError);
  });
});
