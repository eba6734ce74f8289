import { describe, expect, it } from 'vitest';
import { PriceTable, TokenCounter, type ChatMessage, type ToolDefinition } from '../../core/index.js';
import { billCall, callsPerLifetime } from '../../bench/runner/billing.js';

const counter = new TokenCounter({ model: 'gpt-4o' });
const prices = new PriceTable();
const billing = { counter, price: prices.get('gpt-4o'), rule: prices.cacheRule('gpt-4o') };
const policy = `${'Refunds are issued to the original payment method within five business days. '.repeat(120)}`;
const system: ChatMessage = { role: 'system', content: policy };
const ask = (text: string): ChatMessage => ({ role: 'user', content: text });
const tool = (name: string): ToolDefinition => ({ type: 'function', function: { name, description: `Does ${name}.`, parameters: { type: 'object', properties: { id: { type: 'string', description: 'the id' } } } } });

describe('billing a call', () => {
  const first = { messages: [system, ask('Where is my refund?')] };
  const second = { messages: [system, ask('Where is my refund?'), { role: 'assistant' as const, content: 'It is on its way.' }, ask('When?')] };

  it("serves the previous call's prefix from the cache within the lifetime", () => {
    const bill = billCall(billing, second, 10, 30, { previous: { request: first, at: 0 } });
    expect(bill.cachedTokens).toBeGreaterThan(1024);
  });

  it('bills everything at the input price once the cache lifetime has passed', () => {
    const bill = billCall(billing, second, 10, 301, { previous: { request: first, at: 0 } });
    expect(bill.cachedTokens).toBe(0);
  });

  it("serves the prefix other conversations keep warm, even on a conversation's first call", () => {
    const other = { messages: [system, ask('I was charged twice.')] };
    expect(billCall(billing, first, 10, 0, {}).cachedTokens).toBe(0);
    expect(billCall(billing, first, 10, 0, { warm: other }).cachedTokens).toBeGreaterThan(1024);
  });

  it('puts tool definitions before the messages: changed tools break the prefix', () => {
    const withTools = { messages: second.messages, tools: [tool('a'), tool('b')] };
    const same = billCall(billing, withTools, 10, 10, { previous: { request: { messages: first.messages, tools: [tool('a'), tool('b')] }, at: 0 } });
    const changed = billCall(billing, withTools, 10, 10, { previous: { request: { messages: first.messages, tools: [tool('c'), tool('b')] }, at: 0 } });
    expect(same.inputTokens).toBe(counter.countRequest(withTools.messages, withTools.tools));
    expect(same.cachedTokens).toBeGreaterThan(1024);
    expect(changed.cachedTokens).toBe(0);
  });

  it("flags a call whose prompt and reply exceed the model's context window", () => {
    const huge = { messages: [{ role: 'system' as const, content: 'word '.repeat(130_000) }] };
    expect(billCall(billing, huge, 10, 0, {}).overWindow).toBe(true);
    expect(billCall(billing, first, 10, 0, {}).overWindow).toBe(false);
  });

  it('prices the output apart, for the floor', () => {
    const bill = billCall(billing, first, 1000, 0, {});
    expect(bill.outputCostUsd).toBeCloseTo(0.01, 10);
    expect(bill.costUsd).toBeGreaterThan(bill.outputCostUsd);
  });
});

describe('cache rules as data', () => {
  it('bills Anthropic cache writes at 1.25x for 5 minutes and 2x for the hour', () => {
    expect(prices.priceFor('claude-sonnet-4-5').cacheWrite).toBe(3.75);
    expect(prices.priceFor('claude-sonnet-4-5', 'extended').cacheWrite).toBe(6);
    expect(prices.cacheRule('claude-sonnet-4-5', 'extended').lifetimeSeconds).toBe(3600);
  });

  it('keeps OpenAI prefixes for 24 hours with extended retention', () => {
    expect(prices.cacheRule('gpt-5', 'extended').lifetimeSeconds).toBe(86_400);
    expect(prices.cacheRule('gpt-5').lifetimeSeconds).toBe(300);
  });

  it("applies a model's own minimum prefix", () => {
    expect(prices.cacheRule('claude-haiku-4-5').minTokens).toBe(4096);
  });

  it('prices the current models with their context windows', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-5', 'gpt-5-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'gemini-2.5-flash']) {
      expect(prices.get(model).contextWindow).toBeGreaterThan(100_000);
    }
    expect(prices.get('gpt-5').cachedInput / prices.get('gpt-5').input).toBeCloseTo(0.1, 6);
  });

  it('keeps a shared prefix warm only when traffic sends a call per lifetime', () => {
    expect(callsPerLifetime(100_000, 12, 300)).toBeGreaterThan(1);
    expect(callsPerLifetime(100, 12, 300)).toBeLessThan(1);
  });
});
