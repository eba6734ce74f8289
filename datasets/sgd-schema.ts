import type { ToolDefinition } from '../core/messages.js';
import { InputRecord } from './records.js';

/** One intent of an SGD service: what it does and the slots it takes. */
export interface SgdIntent {
  name: string;
  description: string;
  required: string[];
  /** Optional slot -> its default value ("dontcare" when the service ignores it). */
  optional: Record<string, string>;
}

/** One slot of an SGD service. */
export interface SgdSlot {
  name: string;
  description: string;
  /** Allowed values of a categorical slot; empty for free-form slots. */
  values: string[];
}

/** One service of an SGD schema file (e.g. `Buses_1`). */
export interface SgdService {
  name: string;
  /** The service's domain: its name without the version suffix (`Buses_1` -> `Buses`). */
  domain: string;
  description: string;
  slots: Map<string, SgdSlot>;
  intents: Map<string, SgdIntent>;
}

/** An SGD schema file: services by name, in file order. */
export type SgdSchema = Map<string, SgdService>;

/** A service's domain: `Hotels_4` -> `Hotels`. Services of one domain offer the same intents. */
export const domainOf = (service: string): string => service.replace(/_\d+$/, '');

/** The function name of a service's intent, as OpenAI allows it (`^[a-zA-Z0-9_-]+$`): `Buses_1_BuyBusTicket`. */
export const toolName = (service: string, intent: string): string => `${service}_${intent}`;

/** The routing label of a service's intent: `Buses/BuyBusTicket` (domain, not service: see {@link domainOf}). */
export const intentLabel = (service: string, intent: string): string => `${domainOf(service)}/${intent}`;

/** Reads and checks an SGD `schema.json`: an array of services with slots and intents. */
export function readSchema(file: string, value: unknown): SgdSchema {
  const list = new InputRecord(file, 'file').array(value, 'services');
  const schema: SgdSchema = new Map();
  list.forEach((entry, index) => {
    const name = (entry as { service_name?: unknown } | null)?.service_name;
    const at = new InputRecord(file, `service ${typeof name === 'string' ? name : `#${index}`}`);
    const service = readService(at, entry);
    if (schema.has(service.name)) at.fail('service_name', 'must be unique in the schema file', service.name);
    schema.set(service.name, service);
  });
  return schema;
}

function readService(at: InputRecord, value: unknown): SgdService {
  const raw = at.object(value, 'service');
  const name = at.nonEmptyString(raw.service_name, 'service_name');
  if (!/^[A-Za-z0-9_-]+$/.test(name)) at.fail('service_name', 'must use only letters, digits, "_" and "-" (it names tools)', name);
  const slots = new Map<string, SgdSlot>();
  at.array(raw.slots, 'slots').forEach((slotValue, i) => {
    const field = `slots[${i}]`;
    const slot = at.object(slotValue, field);
    const categorical = slot.is_categorical === true;
    const values = at.array(slot.possible_values ?? [], `${field}.possible_values`).map((v, j) => at.string(v, `${field}.possible_values[${j}]`));
    const slotName = at.nonEmptyString(slot.name, `${field}.name`);
    slots.set(slotName, { name: slotName, description: at.string(slot.description, `${field}.description`), values: categorical ? values : [] });
  });
  const intents = new Map<string, SgdIntent>();
  at.array(raw.intents, 'intents').forEach((intentValue, i) => {
    const field = `intents[${i}]`;
    const intent = at.object(intentValue, field);
    const intentName = at.nonEmptyString(intent.name, `${field}.name`);
    const slotOf = (slot: unknown, where: string) => {
      const known = at.string(slot, where);
      return slots.has(known) ? known : at.fail(where, `must name a slot of ${name} (${[...slots.keys()].join(', ')})`, known);
    };
    const required = at.array(intent.required_slots, `${field}.required_slots`).map((slot, j) => slotOf(slot, `${field}.required_slots[${j}]`));
    const optional = Object.fromEntries(
      Object.entries(at.object(intent.optional_slots ?? {}, `${field}.optional_slots`)).map(([slot, byDefault]) => [
        slotOf(slot, `${field}.optional_slots`),
        at.string(byDefault, `${field}.optional_slots.${slot}`),
      ]),
    );
    intents.set(intentName, { name: intentName, description: at.string(intent.description, `${field}.description`), required, optional });
  });
  return { name, domain: domainOf(name), description: at.string(raw.description, 'description'), slots, intents };
}

/**
 * Every intent of every service as an OpenAI function tool: named `<service>_<intent>`, described
 * by the intent and its service, with the intent's required and optional slots as string
 * parameters (an optional slot's default, unless "dontcare", in its description) and a
 * categorical slot's values as an enum.
 */
export function schemaTools(schema: SgdSchema): ToolDefinition[] {
  return [...schema.values()].flatMap((service) =>
    [...service.intents.values()].map((intent): ToolDefinition => {
      const properties = Object.fromEntries(
        [...intent.required, ...Object.keys(intent.optional)].map((slotName) => {
          const slot = service.slots.get(slotName)!;
          const byDefault = intent.optional[slotName];
          const description = byDefault === undefined || byDefault === 'dontcare' ? slot.description : `${slot.description} (default: ${byDefault})`;
          return [slotName, { type: 'string', description, ...(slot.values.length > 0 ? { enum: slot.values } : {}) }];
        }),
      );
      return {
        type: 'function',
        function: {
          name: toolName(service.name, intent.name),
          description: `${intent.description} (${service.name}: ${service.description})`,
          parameters: { type: 'object', properties, required: intent.required },
        },
      };
    }),
  );
}
