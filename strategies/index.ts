import { Registry, type StrategyPlugin } from '../core/index.js';
import { naive } from './naive.js';
import { oracle } from './oracle.js';
import { REFERENCE_CONTEXTS } from './reference-contexts.js';
import { production } from './production.js';
import { rag } from './rag.js';
import { slidingWindow } from './sliding-window.js';
import { summaryBuffer } from './summary-buffer.js';
import { tokenBuffer } from './token-buffer.js';

/** Every bundled strategy, from the dump-everything baseline to the production assembler. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each plug-in has its own options type
export const strategies = new Registry<StrategyPlugin<any>>('strategy')
  .register(naive)
  .register(slidingWindow)
  .register(tokenBuffer)
  .register(summaryBuffer)
  .register(rag)
  .register(production)
  .register(oracle);
for (const reference of REFERENCE_CONTEXTS) strategies.register(reference);
