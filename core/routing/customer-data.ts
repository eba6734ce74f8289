/** An order (or reservation) with its delivery status. */
export interface OrderRecord {
  id: string;
  status: string;
  placedAt?: string;
  items: Array<{ name: string; quantity?: number; price?: number }>;
  total?: number;
  /** Shipping or travel details: carrier, tracking, estimated delivery, route, dates. */
  delivery?: Record<string, string | number>;
}

/** A stored payment method. */
export interface PaymentMethod {
  id: string;
  kind: string;
  description: string;
  balance?: number;
}

/** A charge or invoice. */
export interface Invoice {
  id: string;
  amount: number;
  date?: string;
  status?: string;
  description?: string;
}

/** A subscription or membership. */
export interface Subscription {
  plan: string;
  status: string;
  renewsAt?: string;
  price?: number;
}

/** A product the customer has and how it is configured. */
export interface ProductConfiguration {
  product: string;
  settings: Record<string, string | number | boolean>;
}

/**
 * Where the context loaders read customer data: a CRM, an order system, a billing system.
 * Every method may be slow or fail; the loaders time out and degrade instead of failing the assembly.
 */
export interface CustomerDataSource {
  readonly name: string;
  profile(userId: string): Promise<Record<string, unknown> | undefined>;
  orders(userId: string): Promise<OrderRecord[]>;
  paymentMethods(userId: string): Promise<PaymentMethod[]>;
  invoices(userId: string): Promise<Invoice[]>;
  subscription(userId: string): Promise<Subscription | undefined>;
  products(userId: string): Promise<ProductConfiguration[]>;
}

/** Everything one customer has, as plain data. */
export interface CustomerSnapshot {
  profile?: Record<string, unknown>;
  orders?: OrderRecord[];
  paymentMethods?: PaymentMethod[];
  invoices?: Invoice[];
  subscription?: Subscription;
  products?: ProductConfiguration[];
}

/** A customer data source over in-memory snapshots keyed by user id (tests, recorded data, demos). */
export class InMemoryCustomerData implements CustomerDataSource {
  constructor(
    readonly name: string,
    private readonly customers: ReadonlyMap<string, CustomerSnapshot>,
  ) {}

  async profile(userId: string) {
    return this.customers.get(userId)?.profile;
  }

  async orders(userId: string) {
    return this.customers.get(userId)?.orders ?? [];
  }

  async paymentMethods(userId: string) {
    return this.customers.get(userId)?.paymentMethods ?? [];
  }

  async invoices(userId: string) {
    return this.customers.get(userId)?.invoices ?? [];
  }

  async subscription(userId: string) {
    return this.customers.get(userId)?.subscription;
  }

  async products(userId: string) {
    return this.customers.get(userId)?.products ?? [];
  }
}
