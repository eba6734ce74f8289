import { describe, expect, it } from 'vitest';
import { billingLoader, ConfigError, createPolicyLoader, documentsForIntent, KnowledgeBase, loadersFor, orderLoader, policyLoader, sharedCounter, supportLoader, TECHCORP_LOADERS, InMemoryCustomerData } from '../../../core/index.js';
import { techcorpCustomers, techcorpKnowledge } from '../assembler/fixtures.js';

const services = { customers: techcorpCustomers(), knowledge: techcorpKnowledge() };
const request = (intent: string, query: string) => ({ userId: 'alice', intent, query });

describe('TechCorp context loaders', () => {
  it('lists recent orders with status, items and delivery details', async () => {
    const { text, facts } = await orderLoader.load(request('order_inquiry', 'Where is my order?'), services);
    expect(text).toContain('- ORD-1001: delayed; placed 2024-01-10; items: Router X2 $129.00; total $129.00; carrier UPS, eta 2024-01-20');
    expect(facts).toEqual(['ORD-1001', 'delayed', 'ORD-0999', 'delivered']);
  });

  it('says so when a customer has no orders', async () => {
    const empty = { customers: new InMemoryCustomerData('empty', new Map()) };
    expect((await orderLoader.load(request('order_inquiry', 'Where is my order?'), empty)).text).toBe('Orders: none on record.');
  });

  it('shows payment methods, invoices, the subscription and flags duplicate charges', async () => {
    const { text, facts } = await billingLoader.load(request('billing_question', 'Why was I charged twice?'), services);
    expect(text).toContain('card_visa_4242 (visa ending 4242)');
    expect(text).toContain('Subscription: Pro, active, renews 2024-02-01, $29.00');
    expect(text).toContain('Possible duplicate charges: INV-501 and INV-502 ($29.00 on 2024-01-01)');
    expect(facts).toContain('INV-502');
  });

  it('gives technical support the product configuration and the matching troubleshooting guide', async () => {
    const { text } = await supportLoader.load(request('technical_support', 'Router X2 keeps disconnecting from Wi-Fi'), services);
    expect(text).toContain('Router X2: firmware=1.4.2, mesh=true');
    expect(text).toContain('Known issue: mesh mode on firmware 1.4.x');
  });

  it('loads the document written for the intent, else the passages matching the query', async () => {
    expect((await policyLoader.load(request('billing_question', 'anything'), services)).facts).toEqual(['kb/refunds']);
    expect((await policyLoader.load(request('complaint', 'my shipping is delayed'), services)).facts).toContain('kb/shipping');
    expect((await policyLoader.load(request('complaint', 'x'), { customers: services.customers })).text).toBe('');
  });

  it('loads as many passages as its floor lets through: all up to maxPassages at 0, only the best at 1', async () => {
    // Twelve passages that all match the query, with falling scores (fewer matching words).
    const words = ['refund', 'card', 'charge', 'fee', 'late', 'declined'];
    const documents = Array.from({ length: 12 }, (_, i) => ({ id: `faq/${i}`, title: `FAQ ${i}`, text: `${words.slice(0, 1 + (i % 6)).join(' ')} question number ${i}.` }));
    const knowledge = new KnowledgeBase(documents, sharedCounter('gpt-4o'));
    const passagesAt = async (passageFloor: number, maxPassages?: number) =>
      (await createPolicyLoader({ passageFloor, ...(maxPassages ? { maxPassages } : {}) }).load(request('complaint', words.join(' ')), { customers: services.customers, knowledge })).facts.length;
    expect(await passagesAt(0)).toBe(10);
    expect(await passagesAt(0, 4)).toBe(4);
    expect(await passagesAt(1)).toBeLessThan(await passagesAt(0.5));
    expect(await passagesAt(0.5)).toBeLessThanOrEqual(await passagesAt(0));
    expect(await passagesAt(1)).toBeGreaterThanOrEqual(1);
  });

  it('refuses a floor outside 0..1 and a passage count below one, saying what to use', () => {
    expect(() => createPolicyLoader({ passageFloor: 1.5 })).toThrow(ConfigError);
    expect(() => createPolicyLoader({ passageFloor: -0.1 })).toThrow(/passageFloor must be a share from 0 to 1, got -0.1/);
    expect(() => createPolicyLoader({ maxPassages: 0 })).toThrow(/maxPassages must be a whole number above zero, got 0/);
  });

  it('finds flow/subflow guidelines for intents named flow/subflow', () => {
    const base = new KnowledgeBase([{ id: 'guideline/refund/size', title: 'Refund: wrong size', text: 'Offer an exchange first.', metadata: { flow: 'refund', subflow: 'size' } }], sharedCounter('gpt-4o'));
    expect(documentsForIntent('refund/size', (m) => base.documentsWhere(m)).map((d) => d.id)).toEqual(['guideline/refund/size']);
    expect(documentsForIntent('refund/other', (m) => base.documentsWhere(m))).toEqual([]);
  });

  it('serves every intent with the policy loader and each intent with its own loaders', () => {
    expect(loadersFor(TECHCORP_LOADERS, 'billing_question').map((l) => l.name)).toEqual(['policy', 'billing']);
    expect(loadersFor(TECHCORP_LOADERS, 'cancellation').map((l) => l.name)).toEqual(['policy', 'orders', 'billing']);
    expect(loadersFor(TECHCORP_LOADERS, 'general_question').map((l) => l.name)).toEqual(['policy']);
  });
});
