import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Vitest leaves one core free by default, which on a 2-core machine runs the files one at a
    // time; much of a file's time is spent spawning the CLI and waiting on it, so use every core.
    maxWorkers: availableParallelism(),
    // Generous limits that only catch hangs: a busy 2-core machine must still pass (no test asserts a duration).
    testTimeout: 120_000,
    hookTimeout: 120_000,
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
