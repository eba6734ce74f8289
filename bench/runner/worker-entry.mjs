// The replay worker's entry: worker threads start without the main thread's TypeScript loader,
// so register tsx here (ctxbench has no build step) before loading the worker module.
import { register } from 'tsx/esm/api';

register();
const { default: replayJob } = await import('./worker.ts');
export default replayJob;
