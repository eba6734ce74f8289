import { ConfigError, didYouMean } from './errors.js';

/** Anything a registry holds: plug-ins are found by their unique name. */
export interface Named {
  readonly name: string;
  readonly description: string;
}

/** A registry of plug-ins of one kind, keyed by name; rejects duplicates, suggests close names. */
export class Registry<T extends Named> {
  private readonly entries = new Map<string, T>();

  constructor(readonly kind: string) {}

  register(entry: T): this {
    if (this.entries.has(entry.name)) {
      throw new ConfigError(`${this.kind} "${entry.name}" is already registered`, `give the new ${this.kind} another name`);
    }
    this.entries.set(entry.name, entry);
    return this;
  }

  get(name: string): T {
    const entry = this.entries.get(name);
    if (!entry) throw new ConfigError(`unknown ${this.kind} "${name}"`, didYouMean(name, this.names()));
    return entry;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Registered names in registration order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  list(): T[] {
    return [...this.entries.values()];
  }
}
