import type { Named } from '../registry.js';
import type { KnowledgeBase } from '../retrieval/knowledge.js';
import type { CustomerDataSource } from './customer-data.js';

/** What a loader is asked for. */
export interface LoaderRequest {
  userId: string;
  query: string;
  intent: string;
  /** Recorded time of the request, where known (ISO 8601). */
  now?: string;
}

/** The services a loader may read from. */
export interface LoaderServices {
  customers: CustomerDataSource;
  knowledge?: KnowledgeBase;
}

/** A loaded context section and the facts it drew on. */
export interface LoadedContext {
  text: string;
  facts: string[];
  /**
   * The text depends on the query (a knowledge search), so it changes from turn to turn: the
   * assembler places it after the history, where it does not break the cached prefix. @default false
   */
  perTurn?: boolean;
}

/** A context loader plug-in, keyed by the intents it serves. */
export interface ContextLoader extends Named {
  readonly intents: readonly string[];
  load(request: LoaderRequest, services: LoaderServices): Promise<LoadedContext>;
}

/** Types a loader definition; does nothing at run time. */
export function defineLoader(loader: ContextLoader): ContextLoader {
  return loader;
}

/** What happened to one loader call: recorded in the assembly trace. */
export interface LoaderOutcome {
  loader: string;
  intent: string;
  status: 'ok' | 'failed' | 'timeout';
  text: string;
  facts: string[];
  /** See {@link LoadedContext.perTurn}. */
  perTurn: boolean;
  error?: string;
  ms: number;
}

/**
 * Runs a loader with a timeout. A failure or timeout degrades to a section that says the data
 * was unavailable; it never fails the assembly.
 */
export async function runLoader(loader: ContextLoader, request: LoaderRequest, services: LoaderServices, timeoutMs: number): Promise<LoaderOutcome> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([loader.load(request, services), timeout]);
    const ms = performance.now() - started;
    if (result === 'timeout') {
      return { loader: loader.name, intent: request.intent, status: 'timeout', text: `(${loader.name} data unavailable: no answer within ${timeoutMs} ms)`, facts: [], perTurn: true, error: `timed out after ${timeoutMs} ms`, ms };
    }
    return { loader: loader.name, intent: request.intent, status: 'ok', text: result.text, facts: result.facts, perTurn: result.perTurn ?? false, ms };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { loader: loader.name, intent: request.intent, status: 'failed', text: `(${loader.name} data unavailable: ${message})`, facts: [], perTurn: true, error: message, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** The loaders serving an intent, in registration order; the wildcard `*` serves every intent. */
export function loadersFor(loaders: readonly ContextLoader[], intent: string): ContextLoader[] {
  return loaders.filter((loader) => loader.intents.includes(intent) || loader.intents.includes('*'));
}
