import { describe, expect, it } from 'vitest';
import { cachedPrefixTokens, OPENAI_CACHE, ANTHROPIC_CACHE, sharedPrefixTokens, sharedRequestPrefixTokens, TokenCounter, type ChatMessage, type ToolDefinition } from '../../core/index.js';

const counter = new TokenCounter({ model: 'gpt-4o' });
const system: ChatMessage = { role: 'system', content: 'You are the TechCorp agent. '.repeat(50) };

describe('prompt-cache prefix', () => {
  it('counts whole identical messages, then the common token prefix of the first differing one', () => {
    const before: ChatMessage[] = [system, { role: 'system', content: 'history line one' }];
    const after: ChatMessage[] = [system, { role: 'system', content: 'history line one\nhistory line two' }];
    const shared = sharedPrefixTokens(before, after, counter);
    expect(shared).toBe(counter.countMessage(system) + 2 + counter.count('system') + counter.encode('history line one').length);
  });

  it('shares nothing with no previous turn or a different first message', () => {
    expect(sharedPrefixTokens(undefined, [system], counter)).toBe(0);
    expect(sharedPrefixTokens([{ role: 'user', content: 'a' }], [system], counter)).toBe(0);
  });

  it('serves OpenAI prefixes from 1,024 tokens in 128-token steps, Anthropic from 1,024 in any length', () => {
    expect(cachedPrefixTokens(1023, OPENAI_CACHE)).toBe(0);
    expect(cachedPrefixTokens(1024, OPENAI_CACHE)).toBe(1024);
    expect(cachedPrefixTokens(1300, OPENAI_CACHE)).toBe(1280);
    expect(cachedPrefixTokens(1300, ANTHROPIC_CACHE)).toBe(1300);
  });

  it('shares the unchanged tools and then the messages, since tools precede the messages', () => {
    const tool = (name: string): ToolDefinition => ({ type: 'function', function: { name, description: `Looks up ${name}`, parameters: { type: 'object', properties: {} } } });
    const messages: ChatMessage[] = [system, { role: 'user', content: 'hello' }];
    const tools = [tool('a'), tool('b')];
    expect(sharedRequestPrefixTokens({ messages, tools }, { messages, tools: [...tools] }, counter)).toBe(counter.countTools(tools) + sharedPrefixTokens(messages, messages, counter));
  });

  it('shares only the common leading tools when the tool list changed', () => {
    const tool = (name: string): ToolDefinition => ({ type: 'function', function: { name, description: `Looks up ${name}` } });
    const messages: ChatMessage[] = [system];
    expect(sharedRequestPrefixTokens({ messages, tools: [tool('a')] }, { messages, tools: [tool('a'), tool('b')] }, counter)).toBe(counter.countTools([tool('a')]));
    expect(sharedRequestPrefixTokens({ messages, tools: [tool('b')] }, { messages, tools: [tool('a')] }, counter)).toBe(0);
    expect(sharedRequestPrefixTokens(undefined, { messages, tools: [tool('a')] }, counter)).toBe(0);
  });
});
