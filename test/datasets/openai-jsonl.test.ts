import { describe, expect, it } from 'vitest';
import { containsNormalized, normalizeForMatch } from '../../core/index.js';
import { openAiJsonl } from '../../datasets/openai-jsonl.js';
import { expectDataError, fixtureDir } from './fixtures.js';

const fixtures = fixtureDir('jsonl');
let written = 0;

const call = (id: string, name: string, args: object) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
const orderLookup = (): object[] => [
  { role: 'system', content: 'You are the Acme support agent.' },
  { role: 'user', content: 'Where is my order A-1001?' },
  { role: 'assistant', tool_calls: [call('call_1', 'get_order', { order_id: 'A-1001' })] },
  { role: 'tool', tool_call_id: 'call_1', content: '{"status":"shipped"}' },
  { role: 'assistant', content: 'Order A-1001 has shipped.', weight: 1 },
];

/** Writes a JSONL file, one line per entry; strings are written as they are. */
function jsonl(lines: (object | string)[]): string {
  const content = lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n');
  return fixtures.write(`conversations-${++written}.jsonl`, content);
}

describe('openai-jsonl loader on the bundled example', () => {
  it('loads every conversation of the example file', async () => {
    const loaded = await openAiJsonl.load(openAiJsonl.defaults());
    expect(loaded.name).toBe('openai-jsonl');
    expect(loaded.episodes.map((e) => e.id)).toEqual(['northwind-0001', 'example.jsonl:2', 'northwind-0003', 'example.jsonl:4']);
    expect(loaded.skipped).toEqual([]);
  });

  it('probes facts that really appeared before the turn', async () => {
    const loaded = await openAiJsonl.load(openAiJsonl.defaults());
    const factTurns = loaded.episodes.flatMap((e) => e.turns.map((turn) => ({ episode: e, turn }))).filter(({ turn }) => turn.probes.length > 0);
    expect(factTurns.length).toBeGreaterThanOrEqual(4);
    for (const { episode, turn } of factTurns) {
      const earlier = normalizeForMatch(JSON.stringify(episode.messages.slice(0, turn.at)));
      for (const probe of turn.probes) for (const fact of probe.kind === 'fact' ? probe.facts : []) expect(containsNormalized(earlier, fact.value)).toBe(true);
    }
  });
});

describe('openai-jsonl loader on your own logs', () => {
  it('turns the leading system and developer messages into the system prompt', async () => {
    const file = jsonl([{ messages: [{ role: 'developer', content: 'Be brief.' }, ...orderLookup()] }]);
    const [episode] = (await openAiJsonl.load({ file })).episodes;
    expect(episode!.systemPrompt).toBe('Be brief.\n\nYou are the Acme support agent.');
    expect(episode!.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(episode!.knowledge).toEqual([]);
  });

  it('names episodes by file and line, or by their metadata', async () => {
    const file = jsonl([{ messages: orderLookup() }, '', { messages: orderLookup(), metadata: { id: 'ticket-9', user_id: 'u-42' } }]);
    const loaded = await openAiJsonl.load({ file });
    const name = file.split('/').at(-1);
    expect(loaded.episodes.map((e) => [e.id, e.userId])).toEqual([
      [`${name}:1`, 'line-1'],
      ['ticket-9', 'u-42'],
    ]);
  });

  it('makes one turn per assistant message with its fact probe: tool-call arguments, and earlier values a reply repeats', async () => {
    const [episode] = (await openAiJsonl.load({ file: jsonl([{ messages: orderLookup() }]) })).episodes;
    expect(episode!.turns).toEqual([
      { at: 1, probes: [{ kind: 'fact', facts: [{ value: 'A-1001', origin: 'customer', key: 'order_id' }] }] },
      { at: 3, probes: [{ kind: 'fact', facts: [{ value: 'A-1001', origin: 'customer' }] }] },
    ]);
  });

  it('normalizes messages to chat messages, with missing assistant content as null', async () => {
    const [episode] = (await openAiJsonl.load({ file: jsonl([{ messages: orderLookup() }]) })).episodes;
    expect(episode!.messages[1]).toEqual({ role: 'assistant', content: null, tool_calls: [call('call_1', 'get_order', { order_id: 'A-1001' })] });
    expect(episode!.messages[3]).toEqual({ role: 'assistant', content: 'Order A-1001 has shipped.' });
  });

  it('joins content given as text parts', async () => {
    const messages = [{ role: 'user', content: [{ type: 'text', text: 'Hello ' }, { type: 'text', text: 'there' }] }, { role: 'assistant', content: 'Hi!' }];
    const [episode] = (await openAiJsonl.load({ file: jsonl([{ messages }]) })).episodes;
    expect(episode!.messages[0]!.content).toBe('Hello there');
  });

  it('keeps the tools a line declares as the episode\'s tool definitions', async () => {
    const tools = [{ type: 'function', function: { name: 'get_order', description: 'Looks an order up.', parameters: { type: 'object', properties: { order_id: { type: 'string' } } } } }];
    const file = jsonl([{ messages: orderLookup(), tools, parallel_tool_calls: false }]);
    expect((await openAiJsonl.load({ file })).episodes[0]!.tools).toEqual(tools);
  });

  it('names a tool definition that is not a function', async () => {
    const file = jsonl([{ messages: orderLookup(), tools: [{ type: 'retrieval' }] }]);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'tools[0].type' });
  });

  it('keeps the first N conversations under limit', async () => {
    const file = jsonl([{ messages: orderLookup() }, { messages: orderLookup() }, { messages: orderLookup() }]);
    const loaded = await openAiJsonl.load({ file, limit: 2 });
    expect(loaded.episodes.map((e) => e.metadata!.line)).toEqual([1, 2]);
  });
});

describe('openai-jsonl loader on malformed input', () => {
  it('names a file that cannot be read', async () => {
    const file = '/nonexistent/ctxbench/logs.jsonl';
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'file', field: 'path' });
  });

  it('names a line that is not JSON', async () => {
    const file = jsonl([{ messages: orderLookup() }, '{"messages": [']);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 2', field: 'line' });
  });

  it('names a line without messages', async () => {
    const file = jsonl([{ conversation: orderLookup() }]);
    const error = await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages' });
    expect(error.message).toContain('messages is missing (it must be an array)');
  });

  it('names an unknown role with its position', async () => {
    const messages = orderLookup();
    messages[3] = { role: 'function', name: 'get_order', content: '{}' };
    const file = jsonl([{ messages }]);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[3].role' });
  });

  it('names content of the wrong type', async () => {
    const messages = orderLookup();
    messages[1] = { role: 'user', content: 42 };
    const file = jsonl([{ messages }]);
    const error = await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[1].content' });
    expect(error.message).toContain('must be a string or an array of text parts, got number 42');
  });

  it('names an empty conversation', async () => {
    const file = jsonl([{ messages: [] }]);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages' });
  });

  it('names content parts that are not text', async () => {
    const messages = orderLookup();
    messages[1] = { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/receipt.png' } }] };
    const file = jsonl([{ messages }]);
    const error = await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[1].content[0].type' });
    expect(error.message).toContain('only text content is supported');
  });

  it('names a tool result that comes before its call', async () => {
    const messages = orderLookup();
    [messages[2], messages[3]] = [messages[3]!, messages[2]!];
    const file = jsonl([{ messages }]);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[2].tool_call_id' });
  });

  it('names a tool call without a function name', async () => {
    const messages = orderLookup();
    messages[2] = { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { arguments: '{}' } }] };
    const file = jsonl([{ messages }]);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[2].tool_calls[0].function.name' });
  });

  it('names a metadata object of the wrong type', async () => {
    const file = jsonl([{ messages: orderLookup(), metadata: 'vip' }]);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'metadata' });
  });
});

describe('openai-jsonl loader in lenient mode', () => {
  it('skips malformed lines and lists each with its reason', async () => {
    const file = jsonl([{ messages: orderLookup() }, 'not json', { messages: [{ role: 'bot', content: 'hi' }] }, { messages: orderLookup() }]);
    const loaded = await openAiJsonl.load({ file, lenient: true });
    expect(loaded.episodes.map((e) => e.metadata!.line)).toEqual([1, 4]);
    expect(loaded.skipped).toEqual([
      { file, record: 'line 2', reason: expect.stringContaining('must be one JSON object') },
      { file, record: 'line 3', reason: expect.stringContaining('messages[0].role') },
    ]);
  });
});

describe('openai-jsonl loader as a stream', () => {
  const collect = async (episodes: AsyncIterable<unknown>) => {
    const out: unknown[] = [];
    for await (const episode of episodes) out.push(episode);
    return out;
  };

  it('yields the episodes load() returns, one line at a time', async () => {
    const file = jsonl([{ messages: orderLookup() }, '', { messages: orderLookup(), metadata: { id: 'second' } }, { messages: orderLookup() }]);
    const stream = openAiJsonl.stream!({ file, limit: 2 });
    expect(await collect(stream.episodes)).toEqual((await openAiJsonl.load({ file, limit: 2 })).episodes);
  });

  it('reads Windows line ends and a byte-order mark as the whole-file reader did', async () => {
    const lines = [JSON.stringify({ messages: orderLookup() }), JSON.stringify({ messages: orderLookup(), metadata: { id: 'b' } })];
    const file = fixtures.write(`crlf-${++written}.jsonl`, `\uFEFF${lines.join('\r\n')}\r\n`);
    const episodes = (await collect(openAiJsonl.stream!({ file }).episodes)) as Array<{ id: string; metadata: { line: number } }>;
    expect(episodes.map((e) => [e.id, e.metadata.line])).toEqual([
      [`${file.split('/').at(-1)}:1`, 1],
      ['b', 2],
    ]);
  });

  it('lists skipped lines as it reads them under lenient', async () => {
    const file = jsonl([{ messages: orderLookup() }, 'not json', { messages: orderLookup() }]);
    const stream = openAiJsonl.stream!({ file, lenient: true });
    expect(await collect(stream.episodes)).toHaveLength(2);
    expect(stream.skipped).toEqual([{ file, record: 'line 2', reason: expect.stringContaining('line must be one JSON object') }]);
  });

  it('names a path that is a directory', async () => {
    const directory = fixtures.write('dir-marker.txt', '').replace(/dir-marker\.txt$/, '');
    await expectDataError(collect(openAiJsonl.stream!({ file: directory }).episodes), { file: directory, record: 'file', field: 'path' });
  });
});
