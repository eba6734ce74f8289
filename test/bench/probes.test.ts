import { describe, expect, it } from 'vitest';
import type { AssembledContext, Episode } from '../../core/index.js';
import { scoreProbes } from '../../bench/runner/probes.js';

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
