import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  CountCache,
  encodingForModel,
  getTokenizer,
  InputError,
  resolveEncoding,
  sharedCounter,
  TokenCounter,
  type ChatMessage,
} from '../../core/index.js';

const policy = readFileSync(new URL('../../datasets/data/tau-bench-airline/policy.md', import.meta.url), 'utf8');

// The OpenAI cookbook's example request ("How to count tokens with tiktoken"), whose prompt
// tokens the cookbook verified against the API: 129 for gpt-4 / gpt-3.5-turbo, 124 for gpt-4o.
const cookbookMessages: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

const samples = [
  'hello world',
  policy,
  'Émigré café — naïve façade, 東京都, مرحبا, 👩‍👩‍👧‍👦 family emoji and e\u0301 combining accent',
  '   leading and trailing spaces   \n\n\ttabs',
  'reservation ZFA04Y for mia_li_3668 costs $1,234.56 on 2024-05-15',
  '<|endoftext|> and <|im_start|> are text here',
];

describe('tokenizer backends', () => {
  for (const encoding of ['cl100k_base', 'o200k_base'] as const) {
    it(`gpt-tokenizer and js-tiktoken produce identical ids for ${encoding}`, () => {
      const fast = getTokenizer(encoding, 'gpt-tokenizer');
      const reference = getTokenizer(encoding, 'js-tiktoken');
      for (const text of samples) expect(fast.encode(text)).toEqual(reference.encode(text));
    });

    it(`encodes a piece the vocabulary holds whole as that one token, as tiktoken does, for ${encoding}`, () => {
      const text = 'Hello\uFEFFworld \uFEFF order';
      const fast = getTokenizer(encoding, 'gpt-tokenizer');
      expect(fast.encode(text)).toEqual(getTokenizer(encoding, 'js-tiktoken').encode(text));
      expect(fast.encode(text)).toHaveLength(fast.count(text));
    });

    it(`decodes what it encodes for ${encoding}`, () => {
      const tokenizer = getTokenizer(encoding);
      for (const text of samples) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    });
  }

  it('decodes statelessly: a character cut in half does not leak into the next decode', () => {
    const tokenizer = getTokenizer('o200k_base');
    const ids = tokenizer.encode('\u0836\u1D03\u{18C44}');
    const fresh = tokenizer.decode(ids.slice(0, 3));
    tokenizer.decode(ids.slice(0, 2));
    expect(tokenizer.decode(ids.slice(0, 3))).toBe(fresh);
    expect(fresh).toBe('\u0836');
  });

  it('loads each encoding once and reuses it', () => {
    expect(getTokenizer('o200k_base')).toBe(getTokenizer('o200k_base'));
  });

  it('rejects an unknown backend', () => {
    expect(() => getTokenizer('o200k_base', 'sentencepiece' as never)).toThrow(ConfigError);
  });

  it('counts special-token strings as plain text instead of throwing', () => {
    const counter = new TokenCounter({ model: 'gpt-4o' });
    expect(counter.count('<|endoftext|>')).toBeGreaterThan(1);
    expect(new TokenCounter({ model: 'gpt-4o', backend: 'js-tiktoken' }).count('<|endoftext|>')).toBe(counter.count('<|endoftext|>'));
  });

  it('counts a 20,000-character string without spaces exactly, as the token ids it encodes to', () => {
    // How long this takes is measured by `npm run bench` (README: token accounting), never here.
    const counter = new TokenCounter({ cacheEntries: 0 });
    const hostile = 'x'.repeat(20_000);
    const tokens = counter.count(hostile);
    expect(tokens).toBe(getTokenizer('o200k_base').encode(hostile).length);
    expect(tokens).toBeGreaterThan(1000);
  });
});

describe('model lookup', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini', 'o200k_base'],
    ['gpt-4o-2024-08-06', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-4.1-mini', 'o200k_base'],
    ['gpt-4.1-nano', 'o200k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-turbo', 'cl100k_base'],
    ['gpt-3.5-turbo', 'cl100k_base'],
    ['claude-sonnet-4-5', 'o200k_base'],
  ])('%s uses %s', (model, encoding) => {
    expect(encodingForModel(model)).toBe(encoding);
  });

  it('accepts an encoding name where a model is expected', () => {
    expect(resolveEncoding('cl100k_base')).toBe('cl100k_base');
  });

  it.each(['gpt-40', 'gpt-4omini', 'claude3'])('refuses %s, which only begins like a family name, instead of counting with that family', (model) => {
    expect(() => encodingForModel(model)).toThrow(`unknown model "${model}"`);
  });

  it('counts a point release with its family (gpt-5.1 as gpt-5), but not a longer family\'s name', () => {
    expect(encodingForModel('gpt-5.1')).toBe('o200k_base');
    expect(encodingForModel('gpt-4.1-mini')).toBe('o200k_base');
    expect(encodingForModel('gpt-4-0613')).toBe('cl100k_base');
  });

  it('names the fix for an unknown model', () => {
    expect(() => encodingForModel('llama-3')).toThrow(/unknown model "llama-3"[\s\S]*fix:/);
  });
});

describe('chat message counting', () => {
  it('matches the API-verified count of the cookbook request for gpt-4 (cl100k_base)', () => {
    expect(new TokenCounter({ model: 'gpt-4' }).countMessages(cookbookMessages)).toBe(129);
  });

  it('matches the API-verified count of the cookbook request for gpt-4o (o200k_base)', () => {
    expect(new TokenCounter({ model: 'gpt-4o' }).countMessages(cookbookMessages)).toBe(124);
  });

  it('bills an empty request for the reply priming only', () => {
    expect(new TokenCounter().countMessages([])).toBe(3);
  });

  it('counts tool calls and tool results', () => {
    const counter = new TokenCounter();
    const call: ChatMessage = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_reservation_details', arguments: '{"reservation_id":"ZFA04Y"}' } }],
    };
    const result: ChatMessage = { role: 'tool', tool_call_id: 'call_1', content: '{"status":"confirmed"}' };
    const bare = counter.countMessages([{ role: 'assistant', content: null }]);
    expect(counter.countMessages([call])).toBeGreaterThan(bare + counter.count('{"reservation_id":"ZFA04Y"}'));
    expect(counter.countMessage(result)).toBe(3 + counter.count('tool') + counter.count('call_1') + counter.count('{"status":"confirmed"}'));
  });

  it('counts a message edited in place again, field by field, as a fresh counter would', () => {
    const counter = new TokenCounter();
    const message: ChatMessage = {
      role: 'assistant',
      content: 'one',
      tool_calls: [{ id: 'c', type: 'function', function: { name: 'lookup', arguments: '{"a":1}' } }],
    };
    const fresh = () => new TokenCounter().countMessage(message);
    expect(counter.countMessage(message)).toBe(fresh());
    message.content = 'one two three four five';
    expect(counter.countMessage(message)).toBe(fresh());
    message.tool_calls![0]!.function.arguments = '{"a":1,"b":"a longer argument than before"}';
    expect(counter.countMessage(message)).toBe(fresh());
    message.tool_calls!.push({ id: 'd', type: 'function', function: { name: 'cancel', arguments: '{}' } });
    expect(counter.countMessage(message)).toBe(fresh());
    message.name = 'agent';
    message.role = 'user';
    expect(counter.countMessage(message)).toBe(fresh());
    delete message.tool_calls;
    expect(counter.countMessage(message)).toBe(fresh());
  });

  it('encodes recent texts to the same ids as encode()', () => {
    const counter = new TokenCounter();
    for (const text of [...samples, ...samples]) expect(counter.encodeRecent(text)).toEqual(counter.encode(text));
  });
});

describe('count cache', () => {
  it('serves repeated counts from the cache', () => {
    const counter = new TokenCounter();
    counter.count(policy);
    const first = counter.cacheStats();
    counter.count(policy);
    // The second count is one hit on the whole text; the first also cached its lines.
    expect(counter.cacheStats()).toMatchObject({ hits: first.hits + 1, misses: first.misses, entries: first.entries });
    expect(first.entries).toBeGreaterThan(1);
  });

  it('evicts the least recently used text when full', () => {
    const cache = new CountCache(2);
    const length = (text: string) => text.length;
    cache.getOrCompute('a', length);
    cache.getOrCompute('b', length);
    cache.getOrCompute('a', length);
    cache.getOrCompute('c', length);
    expect(cache.stats().entries).toBe(2);
    cache.getOrCompute('a', length);
    cache.getOrCompute('b', length);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 4 });
  });

  it('keeps a text used again within half its capacity over texts never used again', () => {
    const cache = new CountCache(4);
    const length = (text: string) => text.length;
    for (const text of ['a', 'b', 'c', 'd', 'a', 'e', 'f']) cache.getOrCompute(text, length);
    cache.getOrCompute('a', length);
    expect(cache.stats()).toMatchObject({ entries: 4, hits: 2, misses: 6 });
  });

  it('bounds the characters it holds', () => {
    const cache = new CountCache(100, 10);
    cache.getOrCompute('123456', (t) => t.length);
    cache.getOrCompute('abcdef', (t) => t.length);
    expect(cache.stats().chars).toBeLessThanOrEqual(10);
    cache.clear();
    expect(cache.stats()).toMatchObject({ entries: 0, chars: 0 });
  });

  it('shares one counter per encoding across components', () => {
    expect(sharedCounter('gpt-4o')).toBe(sharedCounter('gpt-4o-mini'));
    expect(sharedCounter('gpt-4')).not.toBe(sharedCounter('gpt-4o'));
  });

  it('rejects content that is not a string with a typed error', () => {
    expect(() => new TokenCounter().count(42 as unknown as string)).toThrow(InputError);
  });
});

describe('tool definitions', () => {
  const counter = new TokenCounter({ model: 'gpt-4o' });
  // The cookbook's example tool ("How to count tokens with tiktoken"): 81 prompt tokens for
  // gpt-4o with the user message below, as the API reported.
  const weather = {
    type: 'function' as const,
    function: {
      name: 'get_current_weather',
      description: 'Get the current weather in a given location',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
          unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location'],
      },
    },
  };
  const messages = [
    { role: 'system' as const, content: 'You are a helpful assistant that can answer to questions about the weather.' },
    { role: 'user' as const, content: "What's the weather like in San Francisco?" },
  ];

  it("matches the API-verified count of the cookbook's tool request for gpt-4o", () => {
    expect(counter.countRequest(messages, [weather])).toBe(101);
  });

  it('adds nothing for a request without tools', () => {
    expect(counter.countRequest(messages, [])).toBe(counter.countMessages(messages));
    expect(counter.countTools(undefined)).toBe(0);
  });

  it('counts nested parameter schemas on top of the published rule', () => {
    const nested = structuredClone(weather);
    (nested.function.parameters.properties as Record<string, unknown>).passengers = { type: 'array', description: 'who flies', items: { type: 'object', properties: { name: { type: 'string' } } } };
    const flat = structuredClone(weather);
    (flat.function.parameters.properties as Record<string, unknown>).passengers = { type: 'array', description: 'who flies' };
    expect(counter.countTools([nested])).toBeGreaterThan(counter.countTools([flat]));
  });

  it('counts a tool definition edited in place again', () => {
    const tool = structuredClone(weather);
    const before = counter.countTool(tool);
    tool.function.parameters.properties.unit.enum.push('kelvin');
    expect(counter.countTool(tool)).toBe(new TokenCounter({ model: 'gpt-4o' }).countTool(tool));
    expect(counter.countTool(tool)).toBeGreaterThan(before);
  });
});

describe('the token counter refuses cache sizes that would turn its cache off without a word', () => {
  it('refuses NaN or negative cache sizes', () => {
    expect(() => new TokenCounter({ cacheEntries: Number.NaN })).toThrow(ConfigError);
    expect(() => new TokenCounter({ cacheChars: -1 })).toThrow(/cacheChars = -1 must be a whole number, 0 or more/);
    expect(new TokenCounter({ cacheEntries: 0 }).count('hello world')).toBe(2);
  });
});

describe('the token counter refuses a message it would count wrong', () => {
  it('refuses content that is not text, an unknown role, and a list that is not one', () => {
    expect(() => sharedCounter('gpt-4o').countMessage({ role: 'user', content: 0 as unknown as string })).toThrow(/message content must be text or null/);
    expect(() => sharedCounter('gpt-4o').countMessage({ role: 'robot' as 'user', content: 'beep' })).toThrow(/message role "robot" is not a chat role/);
    expect(() => sharedCounter('gpt-4o').countMessages('hello' as unknown as [])).toThrow(/countMessages\(\) expects a list of chat messages/);
    expect(sharedCounter('gpt-4o').countMessage({ role: 'assistant', content: null })).toBeGreaterThan(0);
  });
});
