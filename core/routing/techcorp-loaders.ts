import type { KnowledgeDocument } from '../harness/episode.js';
import type { Invoice, OrderRecord } from './customer-data.js';
import { ConfigError } from '../errors.js';
import { defineLoader, type ContextLoader } from './loaders.js';

const money = (amount: number | undefined) => (amount === undefined ? '' : `$${amount.toFixed(2)}`);
const details = (record: Record<string, string | number> | undefined) =>
  Object.entries(record ?? {})
    .filter(([, value]) => value !== '' && value !== 0)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');

function renderOrder(order: OrderRecord): string {
  const items = order.items.map((item) => `${item.name}${item.quantity && item.quantity > 1 ? ` x${item.quantity}` : ''}${item.price ? ` ${money(item.price)}` : ''}`).join('; ');
  const parts = [`${order.id}: ${order.status}`, order.placedAt && `placed ${order.placedAt}`, items && `items: ${items}`, order.total && `total ${money(order.total)}`, details(order.delivery)];
  return `- ${parts.filter(Boolean).join('; ')}`;
}

/** Charges of the same amount on the same day: what "why was I charged twice?" is about. */
function duplicateCharges(invoices: readonly Invoice[]): string[] {
  const seen = new Map<string, Invoice>();
  const duplicates: string[] = [];
  for (const invoice of invoices) {
    const key = `${invoice.amount}|${invoice.date ?? ''}`;
    const earlier = seen.get(key);
    if (earlier && invoice.date) duplicates.push(`${earlier.id} and ${invoice.id} (${money(invoice.amount)} on ${invoice.date})`);
    seen.set(key, invoice);
  }
  return duplicates;
}

/** Orders and delivery status: recent orders with items, totals and shipping or travel details. */
export const orderLoader: ContextLoader = defineLoader({
  name: 'orders',
  description: 'recent orders and their delivery status',
  intents: ['order_inquiry', 'complaint', 'cancellation'],
  load: async ({ userId }, { customers }) => {
    const orders = (await customers.orders(userId)).slice(0, 8);
    if (orders.length === 0) return { text: 'Orders: none on record.', facts: [] };
    return { text: `Orders (${orders.length} most recent):\n${orders.map(renderOrder).join('\n')}`, facts: orders.flatMap((o) => [o.id, o.status]) };
  },
});

/** Billing: payment methods, recent invoices (flagging duplicate charges) and the subscription. */
export const billingLoader: ContextLoader = defineLoader({
  name: 'billing',
  description: 'payment methods, invoices and the subscription',
  intents: ['billing_question', 'cancellation', 'complaint'],
  load: async ({ userId }, { customers }) => {
    const [methods, invoices, subscription] = await Promise.all([customers.paymentMethods(userId), customers.invoices(userId), customers.subscription(userId)]);
    const lines = [
      `Payment methods: ${methods.map((m) => `${m.id} (${m.description}${m.balance === undefined ? '' : `, balance ${money(m.balance)}`})`).join('; ') || 'none on record'}`,
      `Invoices: ${invoices.slice(0, 10).map((i) => `${i.id} ${money(i.amount)}${i.date ? ` on ${i.date}` : ''}${i.status ? ` ${i.status}` : ''}${i.description ? ` (${i.description})` : ''}`).join('; ') || 'none on record'}`,
      `Subscription: ${subscription ? `${subscription.plan}, ${subscription.status}${subscription.renewsAt ? `, renews ${subscription.renewsAt}` : ''}${subscription.price ? `, ${money(subscription.price)}` : ''}` : 'none'}`,
    ];
    const duplicates = duplicateCharges(invoices);
    if (duplicates.length > 0) lines.push(`Possible duplicate charges: ${duplicates.join('; ')}`);
    return { text: lines.join('\n'), facts: [...methods.map((m) => m.id), ...invoices.map((i) => i.id)] };
  },
});

/** Technical support: the customer's product configuration plus known issues and troubleshooting guides from the knowledge base. */
export const supportLoader: ContextLoader = defineLoader({
  name: 'support',
  description: 'product configuration, known issues and troubleshooting guides',
  intents: ['technical_support'],
  load: async ({ userId, query }, { customers, knowledge }) => {
    const products = await customers.products(userId);
    const guides = knowledge ? knowledge.search(query, 3) : [];
    const configuration = products.map((p) => `- ${p.product}: ${Object.entries(p.settings).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'default settings'}`);
    const text = [`Products: ${configuration.length ? `\n${configuration.join('\n')}` : 'none on record'}`, ...guides.map((g) => `Guide: ${g.text}`)].join('\n');
    return { text, facts: [...products.map((p) => p.product), ...guides.map((g) => g.documentId)], perTurn: guides.length > 0 };
  },
});

/** The documents written for an intent: metadata `intent`, or `flow`/`subflow` for labels "flow/subflow". */
export function documentsForIntent(intent: string, find: (metadata: Record<string, unknown>) => KnowledgeDocument[]): KnowledgeDocument[] {
  const [flow, subflow] = intent.split('/');
  const exact = find({ intent });
  return exact.length > 0 || !subflow ? exact : find({ flow, subflow });
}

/** Most policy passages a query loads; their scores decide how many of them. */
export const MAX_PASSAGES = 10;

/** Share of the best hit's score a passage needs to be loaded too. */
export const PASSAGE_SCORE_FLOOR = 0.5;

/**
 * The hits scoring at least `floor` of the best one, so the depth follows the query: one passage
 * when one stands out, many when many match alike. At least one; a floor of 0 keeps them all.
 */
export function nearBestPassages<T extends { score: number }>(hits: readonly T[], floor = PASSAGE_SCORE_FLOOR): T[] {
  const top = hits[0]?.score ?? 0;
  return hits.filter((hit, i) => i === 0 || hit.score >= top * floor);
}

/** How the policy loader picks passages when no document is written for the intent. */
export interface PolicyLoaderOptions {
  /** Share of the best passage's score another passage needs (0 loads up to `maxPassages` whatever they score). @default PASSAGE_SCORE_FLOOR */
  passageFloor?: number;
  /** @default MAX_PASSAGES */
  maxPassages?: number;
}

/** A policy loader: the documents written for the intent, else the policy passages that match the query. */
export function createPolicyLoader({ passageFloor = PASSAGE_SCORE_FLOOR, maxPassages = MAX_PASSAGES }: PolicyLoaderOptions = {}): ContextLoader {
  if (!(passageFloor >= 0 && passageFloor <= 1)) throw new ConfigError(`policy loader passageFloor must be a share from 0 to 1, got ${passageFloor}`, `use ${PASSAGE_SCORE_FLOOR} (the default), or 0 to load up to maxPassages whatever they score`);
  if (!Number.isInteger(maxPassages) || maxPassages < 1) throw new ConfigError(`policy loader maxPassages must be a whole number above zero, got ${maxPassages}`, `use ${MAX_PASSAGES} (the default)`);
  return defineLoader({
    name: 'policy',
    description: 'the guideline written for the intent, or the matching policy passages',
    intents: ['*'],
    load: async ({ intent, query }, { knowledge }) => {
      if (!knowledge) return { text: '', facts: [] };
      const documents = documentsForIntent(intent, (metadata) => knowledge.documentsWhere(metadata));
      if (documents.length > 0) return { text: documents.map((d) => `${d.title}\n${d.text}`).join('\n\n'), facts: documents.map((d) => d.id) };
      const passages = nearBestPassages(knowledge.search(query, maxPassages), passageFloor);
      return { text: passages.map((p) => p.text).join('\n\n'), facts: [...new Set(passages.map((p) => p.documentId))], perTurn: true };
    },
  });
}

/** Policy for every intent, at the default depth. */
export const policyLoader: ContextLoader = createPolicyLoader();

/** The TechCorp loaders, in the order their sections are assembled. */
export const TECHCORP_LOADERS: readonly ContextLoader[] = [policyLoader, orderLoader, billingLoader, supportLoader];

/** The TechCorp loaders with a policy loader of the given depth. */
export function techcorpLoaders(policy: PolicyLoaderOptions = {}): readonly ContextLoader[] {
  return [createPolicyLoader(policy), orderLoader, billingLoader, supportLoader];
}
