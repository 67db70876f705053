import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault-injection suite has its own config and script: npm run test:faults.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    // Two test files at once on this 2-core machine (Vitest would run one: cores - 1): most files
    // wait on real processes, so the suite takes ~340 s instead of ~500 s.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
