import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normalizeForMatch, type AssembledContext, type ChatMessage, type Episode, type ToolDefinition } from '../../core/index.js';
import { contextText, scoreProbes } from '../../bench/runner/probes.js';

const episode = { knowledge: [] } as unknown as Episode;
const context = (names: string[]): AssembledContext => ({
  messages: [{ role: 'user', content: 'I need a bus to Fresno' }],
  tools: names.map((name) => ({ type: 'function', function: { name } })),
  sections: {},
});

describe('tool presence', () => {
  it('scores 1 when the called tool is among the tools sent', () => {
    expect(scoreProbes(context(['Hotels_1_SearchHotel', 'Buses_1_BuyBusTicket']), [{ kind: 'tool', name: 'Buses_1_BuyBusTicket' }], episode)).toEqual({ toolPresence: 1 });
  });

  it('scores 0 when it is not, even if its name appears in the messages', () => {
    const named: AssembledContext = { ...context(['Hotels_1_SearchHotel']), messages: [{ role: 'system', content: 'You may call Buses_1_BuyBusTicket.' }] };
    expect(scoreProbes(named, [{ kind: 'tool', name: 'Buses_1_BuyBusTicket' }], episode)).toEqual({ toolPresence: 0 });
    expect(scoreProbes({ messages: [], sections: {} }, [{ kind: 'tool', name: 'Buses_1_BuyBusTicket' }], episode)).toEqual({ toolPresence: 0 });
  });
});

describe('context text', () => {
  const piece = fc.string({ unit: fc.constantFrom('a', 'B', 'Σ', 'ς', 'İ', '1', ' ', '-', '\n', 'é', 'e\u0301', '东', '.', '$') as fc.Arbitrary<string>, maxLength: 12 });
  const message = fc.record({
    role: fc.constantFrom('system', 'user', 'assistant', 'tool') as fc.Arbitrary<ChatMessage['role']>,
    content: fc.option(piece, { nil: null }),
    tool_calls: fc.option(fc.array(fc.record({ id: fc.constant('c'), type: fc.constant('function' as const), function: fc.record({ name: piece, arguments: piece }) }), { maxLength: 2 }), { nil: undefined }),
  });
  const whole = (context: AssembledContext) =>
    normalizeForMatch(
      [
        ...context.messages.map((m) => [m.content ?? '', ...(m.tool_calls ?? []).map((c) => `${c.function.name} ${c.function.arguments}`)].join(' ')),
        ...(context.tools ?? []).map((tool) => JSON.stringify(tool.function)),
      ].join('\n'),
    );

  it('is the whole context normalized at once, also after messages are edited in place', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), piece, (messages, edit) => {
        const tool: ToolDefinition = { type: 'function', function: { name: 'find', description: edit } };
        const context: AssembledContext = { messages: messages as ChatMessage[], tools: [tool], sections: {} };
        expect(contextText(context)).toBe(whole(context));
        if (messages.length > 0) messages[0]!.content = `${messages[0]!.content ?? ''} ${edit} x`;
        tool.function.description = `${edit} y`;
        expect(contextText(context)).toBe(whole(context));
      }),
    );
  });
});
