import type { CustomerSnapshot, Invoice, OrderRecord, PaymentMethod } from '../core/index.js';

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value));

/** A tau-bench airline user and their reservations, normalized for the context loaders. */
export function airlineSnapshot(profile: Json, reservations: Record<string, unknown>): CustomerSnapshot {
  const orders: OrderRecord[] = Object.entries(reservations).map(([id, raw]) => {
    const reservation = asObject(raw);
    const flights = asArray(reservation.flights).map(asObject);
    const passengers = asArray(reservation.passengers).length;
    return {
      id,
      status: text(reservation.status) || 'booked',
      placedAt: text(reservation.created_at) || undefined,
      items: flights.map((f) => ({ name: `${text(f.flight_number)} ${text(f.origin)}->${text(f.destination)} on ${text(f.date)}`, price: Number(f.price) || undefined, quantity: passengers || undefined })),
      total: flights.reduce((sum, f) => sum + (Number(f.price) || 0), 0) * Math.max(passengers, 1),
      delivery: {
        route: `${text(reservation.origin)}->${text(reservation.destination)}`,
        trip: text(reservation.flight_type),
        cabin: text(reservation.cabin),
        passengers,
        bags: Number(reservation.total_baggages) || 0,
        insurance: text(reservation.insurance),
      },
    };
  });
  const paymentMethods: PaymentMethod[] = Object.values(asObject(profile.payment_methods)).map((raw) => {
    const method = asObject(raw);
    const details = [text(method.brand), method.last_four ? `ending ${text(method.last_four)}` : ''].filter(Boolean).join(' ');
    return { id: text(method.id), kind: text(method.source), description: details || text(method.source), balance: method.amount === undefined ? undefined : Number(method.amount) };
  });
  const invoices: Invoice[] = Object.entries(reservations).flatMap(([id, raw]) =>
    asArray(asObject(raw).payment_history).map((payment, i) => ({ id: `${id}/${i + 1}`, amount: Number(asObject(payment).amount) || 0, description: `reservation ${id} paid with ${text(asObject(payment).payment_id)}` })),
  );
  const membership = text(profile.membership);
  const { payment_methods: _methods, reservations: _ids, ...person } = profile;
  return { profile: person, orders, paymentMethods, invoices, subscription: membership ? { plan: `${membership} membership`, status: 'active' } : undefined };
}

/** ABCD's products field is a Python-style list literal: "[{'brand': 'x', 'amount': 94}]". */
function abcdProducts(value: unknown): Array<{ name: string; price?: number }> {
  try {
    const parsed = JSON.parse(text(value).replace(/'/g, '"')) as unknown;
    return asArray(parsed).map((raw) => {
      const product = asObject(raw);
      return { name: `${text(product.brand)} ${text(product.product_type)}`.replace(/_/g, ' ').trim(), price: Number(product.amount) || undefined };
    });
  } catch {
    return [];
  }
}

/** An ABCD scenario's customer, order and product, normalized for the context loaders. */
export function retailSnapshot(personal: Json, order: Json, product: Json): CustomerSnapshot {
  const items = abcdProducts(order.products);
  const names = asArray(product.names).map(text);
  const orderId = text(order.order_id);
  return {
    profile: personal,
    orders: orderId
      ? [{ id: orderId, status: 'placed', placedAt: text(order.purchase_date) || undefined, items: items.length ? items : names.map((name) => ({ name })), total: items.reduce((s, i) => s + (i.price ?? 0), 0) || undefined, delivery: { address: text(order.full_address), packaging: text(order.packaging) } }]
      : [],
    paymentMethods: order.payment_method ? [{ id: `${text(personal.username)}-payment`, kind: text(order.payment_method), description: text(order.payment_method) }] : [],
    invoices: orderId && items.length ? [{ id: `invoice-${orderId}`, amount: items.reduce((s, i) => s + (i.price ?? 0), 0), date: text(order.purchase_date) || undefined, description: `order ${orderId}` }] : [],
    subscription: personal.member_level ? { plan: `${text(personal.member_level)} membership`, status: 'active' } : undefined,
    products: names.map((name) => ({ product: name, settings: {} })),
  };
}
