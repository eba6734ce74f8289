import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

// Files that replace a module with vi.mock need a fresh module graph of their own: found by
// reading the test files, so a new one cannot land in the shared project by mistake.
const MOCKING = (readdirSync(join(root, 'test'), { recursive: true }) as string[])
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => `test/${file.split('\\').join('/')}`)
  .filter((file) => /\bvi\.(?:mock|doMock)\(/.test(readFileSync(join(root, file), 'utf8')))
  .sort();

export default defineConfig({
  test: {
    // Vitest leaves one core free by default, which on a 2-core machine runs the files one at a
    // time; much of a file's time is spent spawning the CLI and waiting on it, so use every core.
    maxWorkers: availableParallelism(),
    // Generous limits that only catch hangs: a busy 2-core machine must still pass (no test asserts a duration).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      // A worker loads core, the datasets and the tokenizers once for all the files it runs, not
      // once per file: the suite's import time fell from 60 to 11 s (CPU, both workers) and its
      // CPU from 6.0 to 4.1 min. The files restore what they change (process.env, cwd).
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: MOCKING, isolate: false } },
      { extends: true, test: { name: 'isolated', include: MOCKING } },
    ],
    coverage: {
      provider: 'v8',
      include: ['core/**/*.ts', 'strategies/**/*.ts', 'datasets/**/*.ts', 'reports/**/*.ts', 'bench/**/*.ts'],
      // Benchmarks are measured by `npm run bench`, not covered by tests.
      exclude: ['bench/micro/**', '**/*.d.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 80, branches: 80, functions: 80, statements: 80 },
    },
  },
});
