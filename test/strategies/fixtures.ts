import type { ChatMessage, Episode, ToolDefinition, Turn } from '../../core/index.js';

/** A synthetic support conversation with tool calls, a customer record and knowledge; `marker` is unique to the user. */
export function syntheticEpisode(userId: string, marker: string, rounds = 12): Episode {
  const messages: ChatMessage[] = [];
  for (let i = 0; i < rounds; i++) {
    messages.push({ role: 'user', content: `Hello, this is ${userId}. Question ${i} about order ORD-${marker}-${i}: is it shipped yet? My note ${marker}.` });
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: `call_${userId}_${i}`, type: 'function', function: { name: 'get_order', arguments: JSON.stringify({ order_id: `ORD-${marker}-${i}` }) } }],
    });
    messages.push({ role: 'tool', tool_call_id: `call_${userId}_${i}`, content: JSON.stringify({ order_id: `ORD-${marker}-${i}`, status: 'shipped', detail: `${marker} `.repeat(40) }) });
    messages.push({ role: 'assistant', content: `Order ORD-${marker}-${i} has shipped and should arrive within three days.` });
  }
  const turns: Turn[] = messages.flatMap((message, at) =>
    message.role === 'assistant' ? [{ at, probes: message.tool_calls ? [{ kind: 'fact' as const, facts: [{ value: `ORD-${marker}-${Math.floor(at / 4)}`, origin: 'customer' as const }] }] : [] }] : [],
  );
  turns.push({ at: messages.length, query: `What did I ask about order ORD-${marker}-0?`, probes: [] });
  return {
    id: `synthetic/${userId}`,
    dataset: 'synthetic',
    userId,
    systemPrompt: 'You are the TechCorp support agent.',
    messages,
    knowledge: [
      { id: 'policy/refunds', title: 'Refunds', text: 'Refunds are issued within 5 business days to the original payment method. '.repeat(20) },
      { id: 'policy/shipping', title: 'Shipping', text: 'Orders ship within 2 days. Delayed orders can be escalated after 7 days. '.repeat(20) },
    ],
    customer: { profile: { name: userId, secret: `${marker}-profile` }, records: { [`ORD-${marker}-0`]: { status: 'shipped', marker } } },
    turns,
  };
}

/** The episode with `count` tool definitions of about 200 tokens each (the first is the one it calls). */
export function withTools(episode: Episode, count: number): Episode {
  const tools = Array.from({ length: count }, (_, i): ToolDefinition => ({
    type: 'function',
    function: {
      name: i === 0 ? 'get_order' : `tool_${i}`,
      description: `Looks up record kind ${i} of the customer's orders, invoices and deliveries. `.repeat(10),
      parameters: { type: 'object', properties: { order_id: { type: 'string', description: 'The order id, e.g. ORD-1' } }, required: ['order_id'] },
    },
  }));
  return { ...episode, tools };
}
