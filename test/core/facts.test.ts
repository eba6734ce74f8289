import { describe, expect, it } from 'vitest';
import { factPresent, factProbesFromReplies, factProbesFromToolCalls, normalizeForMatch, type ChatMessage } from '../../core/index.js';
import { documentPresent } from '../../bench/runner/probes.js';

const call = (name: string, args: Record<string, unknown>): ChatMessage => ({ role: 'assistant', content: null, tool_calls: [{ id: `c_${name}`, type: 'function', function: { name, arguments: JSON.stringify(args) } }] });

describe('fact origins', () => {
  const messages: ChatMessage[] = [
    { role: 'user', content: 'I want to fly to Seattle with 3 bags, my certificate pays 250.' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'search', arguments: '{"destination":"SEA"}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: '{"flight_number":"HAT136","price":411}' },
    call('book', { user_id: 'mia_li_3668', flight: 'HAT136', destination: 'Seattle', amount: 250, computed: 'XYZ-999' }),
  ];
  const probe = factProbesFromToolCalls(messages, JSON.stringify({ user_id: 'mia_li_3668' })).get(3)!;

  it('marks what the record held from the start as record, whoever said it later', () => {
    expect(probe.facts.find((f) => f.value === 'mia_li_3668')?.origin).toBe('record');
  });

  it('marks a value by the first message that stated it', () => {
    expect(probe.facts.find((f) => f.value === 'HAT136')?.origin).toBe('tool');
    expect(probe.facts.find((f) => f.value === 'Seattle')?.origin).toBe('customer');
  });

  it('does not probe a value the agent could not have known', () => {
    expect(probe.facts.map((f) => f.value)).not.toContain('XYZ-999');
  });

  it('keeps the words around a short value where it came from', () => {
    expect(probe.facts.find((f) => f.value === '250')).toMatchObject({ origin: 'customer', key: 'amount', context: 'certificate pays 250' });
  });
});

describe('fact presence', () => {
  const short = { value: '250', origin: 'customer' as const, key: 'amount', context: 'certificate pays 250' };

  it('does not count a short value that stands anywhere as some other word', () => {
    expect(factPresent(normalizeForMatch('The fare is 250 dollars.'), short)).toBe(false);
  });

  it('counts a short value among the words it came with', () => {
    expect(factPresent(normalizeForMatch('user: my certificate pays 250.'), short)).toBe(true);
  });

  it('counts a short value beside its key', () => {
    expect(factPresent(normalizeForMatch('{"amount": 250}'), short)).toBe(true);
  });

  it('counts a long value anywhere as whole words', () => {
    expect(factPresent(normalizeForMatch('reservation HAT136 confirmed'), { value: 'HAT136', origin: 'tool' })).toBe(true);
    expect(factPresent(normalizeForMatch('reservation HAT1367'), { value: 'HAT136', origin: 'tool' })).toBe(false);
  });
});

describe('document presence', () => {
  const doc = { id: 'd', title: 'Refunds', text: 'Refunds take five days. They go to the original card. Gift cards are not refunded.' };

  it('counts a document whose whole text is in the context', () => {
    expect(documentPresent(normalizeForMatch(`Policy: ${doc.text}`), doc)).toBe(true);
  });

  it('does not count a document of which only the title or a fragment is there', () => {
    expect(documentPresent(normalizeForMatch('Refunds. Refunds take five days.'), doc)).toBe(false);
  });
});

describe('reply facts of chat logs without tool calls', () => {
  const messages: ChatMessage[] = [
    { role: 'user', content: 'Hi, I am Ana, order NW-20391 never arrived. Reach me at ana@example.com.' },
    { role: 'assistant', content: 'Sorry Ana! I see order NW-20391 shipped on 2024-03-02; I will email ana@example.com.' },
    { role: 'user', content: 'Thanks, the box was 3 items.' },
    { role: 'assistant', content: 'Noted: 3 items, refund ref RF-77 for NW-20391.' },
  ];
  const probes = factProbesFromReplies(messages);

  it("probes the earlier values a reply repeats, with the origin of the message that stated them", () => {
    expect(probes.get(1)!.facts.map((f) => [f.value, f.origin])).toEqual([
      ['NW-20391', 'customer'],
      ['ana@example.com', 'customer'],
    ]);
  });

  it('leaves out values the reply introduces (the date the agent looked up, a new reference)', () => {
    expect(probes.get(1)!.facts.map((f) => f.value)).not.toContain('2024-03-02');
    expect(probes.get(3)!.facts.map((f) => f.value)).toEqual(['NW-20391']);
  });

  it('is present in a context that holds the conversation, and missing from one that does not', () => {
    const fact = probes.get(1)!.facts[0]!;
    expect(factPresent(normalizeForMatch(messages[0]!.content!), fact)).toBe(true);
    expect(factPresent(normalizeForMatch('a context about something else'), fact)).toBe(false);
  });
});
