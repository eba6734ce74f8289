// Keeps the machine busy for "the test suite on a busy machine": one spinning worker thread per
// core (or as many as the first argument says) until the process is killed.
//   node bench/busy.mjs 2 & npm test; kill %1
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const threads = Number(process.argv[2] ?? availableParallelism());
for (let i = 0; i < threads; i++) new Worker('let x = 0; for (;;) { x = (x * 1103515245 + 12345) % 2147483648; }', { eval: true });
