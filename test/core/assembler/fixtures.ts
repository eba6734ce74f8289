import { InMemoryCustomerData, KnowledgeBase, sharedCounter, type CustomerSnapshot } from '../../../core/index.js';

/** Two TechCorp customers with orders, billing and products; `marker` strings are unique per user. */
export function techcorpCustomers(): InMemoryCustomerData {
  const alice: CustomerSnapshot = {
    profile: { name: 'Alice Park', email: 'alice@example.com', plan: 'Pro' },
    orders: [
      { id: 'ORD-1001', status: 'delayed', placedAt: '2024-01-10', items: [{ name: 'Router X2', price: 129 }], total: 129, delivery: { carrier: 'UPS', eta: '2024-01-20' } },
      { id: 'ORD-0999', status: 'delivered', placedAt: '2023-12-01', items: [{ name: 'Cable', price: 9.5 }], total: 9.5 },
    ],
    paymentMethods: [{ id: 'card_visa_4242', kind: 'credit_card', description: 'visa ending 4242' }],
    invoices: [
      { id: 'INV-501', amount: 29, date: '2024-01-01', status: 'paid', description: 'Pro plan' },
      { id: 'INV-502', amount: 29, date: '2024-01-01', status: 'paid', description: 'Pro plan' },
    ],
    subscription: { plan: 'Pro', status: 'active', renewsAt: '2024-02-01', price: 29 },
    products: [{ product: 'Router X2', settings: { firmware: '1.4.2', mesh: true } }],
  };
  const bob: CustomerSnapshot = {
    profile: { name: 'Bob Stone', email: 'bob@example.com', plan: 'Basic', marker: 'BOBSECRET' },
    orders: [{ id: 'ORD-2002', status: 'shipped', items: [{ name: 'Modem M1' }], delivery: { tracking: 'BOBSECRET-TRACK' } }],
    invoices: [{ id: 'INV-900', amount: 9, date: '2024-01-05' }],
  };
  return new InMemoryCustomerData('techcorp-test', new Map([['alice', alice], ['bob', bob]]));
}

/** A small TechCorp knowledge base: policies and troubleshooting guides. */
export function techcorpKnowledge(): KnowledgeBase {
  return new KnowledgeBase(
    [
      { id: 'kb/refunds', title: 'Refund policy', text: 'Duplicate charges are refunded within 5 business days to the original payment method.', metadata: { intent: 'billing_question' } },
      { id: 'kb/router-reset', title: 'Router X2 troubleshooting', text: 'If the Router X2 drops Wi-Fi, update the firmware to 1.5 and power-cycle it. Known issue: mesh mode on firmware 1.4.x disconnects every hour.' },
      { id: 'kb/shipping', title: 'Shipping delays', text: 'Orders delayed more than 7 days can be escalated; customers get a shipping credit.' },
    ],
    sharedCounter('gpt-4o'),
  );
}
