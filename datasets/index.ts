import { Registry, type DatasetLoader } from '../core/index.js';
import { abcd } from './abcd.js';
import { banking77 } from './banking77.js';
import { beir } from './beir.js';
import { locomo } from './locomo.js';
import { openAiJsonl } from './openai-jsonl.js';
import { sgd } from './sgd.js';
import { tauBenchAirline } from './tau-bench.js';

/** Every bundled dataset loader; each reads the bundled copy unless given other paths. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each loader has its own options type
export const datasets = new Registry<DatasetLoader<any>>('dataset')
  .register(tauBenchAirline)
  .register(locomo)
  .register(abcd)
  .register(banking77)
  .register(openAiJsonl)
  .register(beir)
  .register(sgd);
