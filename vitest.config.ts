import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Generous: integration tests start real processes, which takes seconds on a loaded two-core machine.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Integration tests spawn processes and talk to Redis; two cores are plenty for two workers.
    maxWorkers: 2,
  },
});
