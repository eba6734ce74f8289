import type { KnowledgeDocument } from '../core/harness/episode.js';
import type { ToolDefinition } from '../core/messages.js';
import { defineIntentProfile, type IntentProfile } from '../core/routing/intent-profile.js';

/**
 * The airline deployment's intents: one per action section of the policy, plus `other` for
 * questions no action section governs. Written from the policy and the tool catalog only (never
 * from the recorded trajectories): each intent names its policy section, the tools an agent
 * needs to serve it (the lookups it starts with and the actions the section governs), and a few
 * customer-style requests as a deployer would write them; the section's own lines are examples too.
 */
const AIRLINE_INTENTS: ReadonlyArray<{ name: string; section: string; description: string; tools: string[]; examples: string[] }> = [
  {
    name: 'book_flight',
    section: 'policy#book-flight',
    description: 'book a new flight reservation',
    tools: ['get_user_details', 'list_all_airports', 'search_direct_flight', 'search_onestop_flight', 'calculate', 'book_reservation'],
    examples: ['I want to book a flight', 'I need a ticket for a one-way trip', 'Can you make a new reservation for me and my wife?', 'book a round trip in economy', 'I would like to fly to Boston next week, please reserve seats'],
  },
  {
    name: 'modify_flight',
    section: 'policy#modify-flight',
    description: 'change an existing reservation: flights, cabin, baggage or passengers',
    tools: ['get_user_details', 'get_reservation_details', 'search_direct_flight', 'search_onestop_flight', 'calculate', 'update_reservation_flights', 'update_reservation_baggages', 'update_reservation_passengers'],
    examples: ['I want to change my flight to a later date', 'Can I upgrade my reservation to business class?', 'I need to add a checked bag to my booking', 'please change the passenger name on my reservation', 'modify my trip so I return a day earlier'],
  },
  {
    name: 'cancel_flight',
    section: 'policy#cancel-flight',
    description: 'cancel a reservation and refund it',
    tools: ['get_user_details', 'get_reservation_details', 'cancel_reservation'],
    examples: ['I want to cancel my reservation', 'please cancel my trip and refund me', 'I can no longer travel, cancel the booking', 'cancel the flight I booked yesterday'],
  },
  {
    name: 'refund',
    section: 'policy#refund',
    description: 'complain about a cancelled or delayed flight and ask for compensation',
    tools: ['get_user_details', 'get_reservation_details', 'send_certificate'],
    examples: ['my flight was delayed and I want compensation', 'my flight got cancelled, what will you do about it?', 'I am unhappy about the delay, can I get a voucher?', 'I expect a certificate for the trouble'],
  },
  {
    name: 'other',
    section: '',
    description: 'questions about flights, baggage allowance, membership or anything else',
    tools: ['get_user_details', 'get_reservation_details', 'search_direct_flight', 'transfer_to_human_agents'],
    examples: ['what is the status of flight HAT001?', 'how many free bags do I get as a gold member?', 'I want to talk to a human agent', 'what payment methods do I have on file?'],
  },
];

/** Tools every intent keeps at hand: thinking and handing over to a person. */
const ALWAYS = ['think', 'transfer_to_human_agents'];

/** The lines of a policy section worth learning from: bullets and sentences without markdown markers. */
function sectionLines(doc: KnowledgeDocument | undefined): string[] {
  return (doc?.text ?? '')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:#+|-|\d+\.)\s*/, '').trim())
    .filter((line) => line.split(/\s+/).length >= 3);
}

/** The intent each action section of the policy is written for (its knowledge document's `intent`). */
export function airlineSectionIntents(): ReadonlyMap<string, string> {
  return new Map(AIRLINE_INTENTS.filter((intent) => intent.section).map((intent) => [intent.section, intent.name]));
}

/**
 * The airline intent profile over the policy sections and the tool catalog. Tools the catalog does
 * not hold are left out, so a user's own catalog works too; `other` is the fallback.
 */
export function airlineIntentProfile(knowledge: readonly KnowledgeDocument[], tools: readonly ToolDefinition[]): IntentProfile {
  const available = new Set(tools.map((tool) => tool.function.name));
  const sections = new Map(knowledge.map((doc) => [doc.id, doc]));
  return defineIntentProfile({
    name: 'tau-bench-airline',
    description: 'airline customer service: one intent per action section of the agent policy (tau-bench, MIT)',
    fallbackIntent: 'other',
    intents: AIRLINE_INTENTS.map((intent) => {
      const doc = sections.get(intent.section);
      return {
        name: intent.name,
        description: intent.description,
        examples: [...new Set([intent.description, ...(doc ? [doc.title] : []), ...intent.examples, ...sectionLines(doc)])],
        tools: [...new Set([...intent.tools, ...ALWAYS])].filter((name) => available.has(name)),
      };
    }),
  });
}
