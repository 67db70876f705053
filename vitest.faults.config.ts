import { defineConfig } from 'vitest/config';

/** The fault-injection suite: real processes killed for real, one scenario file at a time. */
export default defineConfig({
  // TypeScript in .cts files too (src/worker/early-worker.cts, which ES modules import).
  oxc: { include: /\.([mc]?ts|[jt]sx)$/ },
  test: {
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
