import { defineConfig } from 'vitest/config';

// The real-stack suite: Prometheus, Alertmanager, haproxy, Redis and rollbot as separate processes.
// Slow by nature (real scrape and evaluation intervals), so it runs apart from `npm test`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Each file starts its own stack; one at a time keeps two cores from starving the timing.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
