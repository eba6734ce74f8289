import { describe, expect, it } from 'vitest';
import { accuracy, intentStatements, lexicalRanker } from '../../bench/zero-shot-routing.js';
import { defineIntentProfile } from '../../core/routing/intent-profile.js';

const frame = (service: string, intent: string, acts: string[]) => ({ service, actions: acts.map((act) => ({ act })), state: { active_intent: intent } });

describe('zero-shot routing bench', () => {
  it('takes the user turns that state a known intent, labelled by domain and intent', () => {
    const dialogues = [
      {
        turns: [
          { speaker: 'USER', utterance: 'Find me a hotel in Paris', frames: [frame('Hotels_4', 'SearchHotel', ['INFORM_INTENT', 'INFORM'])] },
          { speaker: 'SYSTEM', utterance: 'Which dates?', frames: [frame('Hotels_4', 'SearchHotel', ['INFORM_INTENT'])] },
          { speaker: 'USER', utterance: 'From May 3', frames: [frame('Hotels_4', 'SearchHotel', ['INFORM'])] },
          { speaker: 'USER', utterance: 'Book a table too', frames: [frame('Restaurants_1', 'ReserveRestaurant', ['INFORM_INTENT'])] },
        ],
      },
      { turns: 'not a list' },
    ];
    expect(intentStatements(dialogues, new Set(['Hotels/SearchHotel']))).toEqual([{ text: 'Find me a hotel in Paris', label: 'Hotels/SearchHotel' }]);
  });

  it('ranks the intent whose description shares the query\'s words first', async () => {
    const profile = defineIntentProfile({
      name: 'p',
      description: 'test',
      intents: [
        { name: 'hotel', description: 'Hotels', examples: ['search for a hotel room to stay in'] },
        { name: 'flight', description: 'Flights', examples: ['book a flight ticket to fly'] },
      ],
    });
    const rank = lexicalRanker(profile);
    expect((await rank('I need a flight ticket'))[0]).toBe('flight');
    expect((await rank('a room in a hotel'))[0]).toBe('hotel');
  });

  it('scores top-1 and top-3 accuracy of a ranking', async () => {
    const rank = async (query: string) => (query === 'first' ? ['a', 'b', 'c', 'd'] : ['b', 'c', 'd', 'a']);
    const measured = await accuracy(rank, [
      { text: 'first', label: 'a' },
      { text: 'second', label: 'a' },
      { text: 'second', label: 'c' },
      { text: 'first', label: 'c' },
    ]);
    expect(measured.top1.mean).toBe(0.25);
    expect(measured.top3.mean).toBe(0.75);
  });
});
