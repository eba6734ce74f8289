// Writes ctxbench.schema.json, the published JSON Schema of the configuration file: npm run schema
import { writeFileAtomic } from '../reports/json.js';
import { configJsonSchema } from './config-schema.js';

writeFileAtomic(new URL('../ctxbench.schema.json', import.meta.url).pathname, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
