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

describe('openai-jsonl loader on tool calls that do not pair up', () => {
  const name = (file: string) => file.split('/').at(-1);

  it('names tool-call arguments that are not JSON, with the conversation and the call', async () => {
    const messages = orderLookup();
    messages[2] = { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_order', arguments: "{order_id: 'A-1001'}" } }] };
    const file = jsonl([{ messages, metadata: { id: 'ticket-7' } }]);
    const error = await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[2].tool_calls[0].function.arguments' });
    expect(error.message).toContain('must be valid JSON (the arguments of tool call "call_1" in conversation "ticket-7": ');
    expect(error.message).toContain(`got string "{order_id: 'A-1001'}"`);
    expect(error.hint).toMatch(/^write the arguments as a JSON object in a string, e\.g\. "\{\\"order_id\\": \\"A-1001\\"\}" \("\{\}" for a call without arguments\); or set the dataset option lenient to true/);
  });

  it('names empty arguments too: a call without arguments has "{}"', async () => {
    const messages = orderLookup();
    messages[2] = { role: 'assistant', tool_calls: [call('call_1', 'get_order', {})] };
    (messages[2] as { tool_calls: Array<{ function: { arguments: string } }> }).tool_calls[0]!.function.arguments = '';
    const file = jsonl([{ messages }]);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[2].tool_calls[0].function.arguments' });
  });

  it('names a tool call that no later tool message answers', async () => {
    const messages = orderLookup();
    messages.splice(3, 1);
    const file = jsonl([{ messages }]);
    const error = await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[2].tool_calls[0].id' });
    expect(error.message).toContain(`must be answered by a later tool message with tool_call_id "call_1" in conversation "${name(file)}:1", but no tool message answers it and messages[3] comes after it`);
    expect(error.hint).toMatch(/^add the tool message \{"role": "tool", "tool_call_id": "call_1", "content": "<the result>"\} right after that assistant message, or end the conversation at that call/);
  });

  it('names one of two parallel calls left unanswered', async () => {
    const messages = orderLookup();
    messages[2] = { role: 'assistant', tool_calls: [call('call_1', 'get_order', { order_id: 'A-1001' }), call('call_2', 'get_invoice', { order_id: 'A-1001' })] };
    const file = jsonl([{ messages }]);
    await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[2].tool_calls[1].id' });
  });

  it('names a call whose id is called again before any tool message answers it', async () => {
    const messages = [...orderLookup().slice(0, 3), { role: 'assistant', tool_calls: [call('call_1', 'get_order', { order_id: 'A-1002' })] }, ...orderLookup().slice(3)];
    const file = jsonl([{ messages }]);
    const error = await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[2].tool_calls[0].id' });
    expect(error.message).toContain('but messages[3] calls the same id again first');
  });

  it('accepts a conversation that ends on tool calls whose results are not recorded yet, as OpenAI fine-tuning examples do', async () => {
    const ending = [...orderLookup().slice(0, 2), { role: 'assistant', tool_calls: [call('call_1', 'get_order', { order_id: 'A-1001' }), call('call_2', 'get_invoice', { order_id: 'A-1001' })] }, { role: 'tool', tool_call_id: 'call_1', content: '{}' }];
    const file = jsonl([{ messages: ending }, { messages: orderLookup().slice(0, 3) }]);
    const loaded = await openAiJsonl.load({ file });
    expect(loaded.episodes.map((e) => e.turns.length)).toEqual([1, 1]);
    expect(loaded.episodes[1]!.turns[0]!.probes).toEqual([{ kind: 'fact', facts: [{ value: 'A-1001', origin: 'customer', key: 'order_id' }] }]);
  });

  it('names two tool calls with the same id in one message', async () => {
    const messages = orderLookup();
    messages[2] = { role: 'assistant', tool_calls: [call('call_1', 'get_order', { order_id: 'A-1001' }), call('call_1', 'get_invoice', { order_id: 'A-1001' })] };
    const file = jsonl([{ messages, metadata: { id: 'ticket-8' } }]);
    const error = await expectDataError(openAiJsonl.load({ file }), { file, record: 'line 1', field: 'messages[2].tool_calls[1].id' });
    expect(error.message).toContain('must be unique among the tool calls of its message, but tool_calls[0] has the same id in conversation "ticket-8", got string "call_1"');
  });

  it('skips each such conversation under lenient and lists it', async () => {
    const badJson = orderLookup();
    badJson[2] = { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_order', arguments: '{' } }] };
    const unanswered = orderLookup();
    unanswered.splice(3, 1);
    const twins = orderLookup();
    twins[2] = { role: 'assistant', tool_calls: [call('call_1', 'get_order', { order_id: 'A-1001' }), call('call_1', 'get_order', { order_id: 'A-1001' })] };
    const file = jsonl([{ messages: badJson }, { messages: unanswered }, { messages: twins }, { messages: orderLookup() }]);
    const loaded = await openAiJsonl.load({ file, lenient: true });
    expect(loaded.episodes.map((e) => e.metadata!.line)).toEqual([4]);
    expect(loaded.skipped.map((r) => [r.record, r.reason.split(' ')[0]])).toEqual([
      ['line 1', 'messages[2].tool_calls[0].function.arguments'],
      ['line 2', 'messages[2].tool_calls[0].id'],
      ['line 3', 'messages[2].tool_calls[1].id'],
    ]);
  });
});

describe('openai-jsonl loader on conversations without an assistant message', () => {
  const userOnly = (text: string) => ({ messages: [{ role: 'system', content: 'You are the Acme support agent.' }, { role: 'user', content: text }] });

  it('leaves them out and lists them as skipped, so the episodes counted are the ones scored', async () => {
    const file = jsonl([{ messages: orderLookup() }, userOnly('hello?'), userOnly('anyone?'), userOnly('bye')]);
    const loaded = await openAiJsonl.load({ file });
    expect(loaded.episodes.map((e) => e.metadata!.line)).toEqual([1]);
    const reason = 'messages hold no assistant message: nothing to replay or score, so the conversation is left out';
    expect(loaded.skipped).toEqual([2, 3, 4].map((line) => ({ file, record: `line ${line}`, reason })));
  });

  it('does not count them toward limit', async () => {
    const file = jsonl([userOnly('hello?'), { messages: orderLookup() }, { messages: orderLookup() }]);
    expect((await openAiJsonl.load({ file, limit: 1 })).episodes.map((e) => e.metadata!.line)).toEqual([2]);
  });

  it('lists every conversation when none has one, so a run refuses the file as having nothing to replay', async () => {
    const file = jsonl([userOnly('hello?'), '', userOnly('anyone?')]);
    const loaded = await openAiJsonl.load({ file });
    expect(loaded.episodes).toEqual([]);
    expect(loaded.skipped.map((r) => r.record)).toEqual(['line 1', 'line 3']);
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

  it('fails on a malformed line anywhere before it hands out the first conversation, so before any replay', async () => {
    const file = jsonl([{ messages: orderLookup() }, { messages: orderLookup() }, '{"messages": [']);
    const iterator = openAiJsonl.stream!({ file }).episodes[Symbol.asyncIterator]();
    await expectDataError(iterator.next(), { file, record: 'line 3', field: 'line' });
  });

  it('counts conversations without an assistant message as skipped, as load() does', async () => {
    const file = jsonl([{ messages: orderLookup() }, { messages: [{ role: 'user', content: 'hello?' }] }]);
    const stream = openAiJsonl.stream!({ file });
    expect(await collect(stream.episodes)).toHaveLength(1);
    expect(stream.skipped).toEqual((await openAiJsonl.load({ file })).skipped);
    expect(stream.skipped).toHaveLength(1);
  });

  it('names a path that is a directory', async () => {
    const directory = fixtures.write('dir-marker.txt', '').replace(/dir-marker\.txt$/, '');
    await expectDataError(collect(openAiJsonl.stream!({ file: directory }).episodes), { file: directory, record: 'file', field: 'path' });
  });
});
