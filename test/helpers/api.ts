import { afterEach, beforeEach } from 'vitest';
import { makeDeps, type TestDeps } from './engine.js';
import { serveApp } from './http.js';

/** What useServedApp gives each test: the deps the bot's HTTP app runs on, and the server serving it. */
export interface ServedApp {
  deps: TestDeps;
  /**
   * Serving `deps`. A test that serves again (another API token, other runbooks) closes this one and puts the new
   * one here, so that the hook closes that one after the test.
   */
  server: Awaited<ReturnType<typeof serveApp>>;
}

/**
 * For a file of API tests: before each test, fresh deps (`makeDeps()` unless `deps` makes others) served by the
 * bot's HTTP app with the default tokens (serveApp); after it, the server closed. The fields are filled by the hooks
 * this registers, so a file's own beforeEach registered after this call runs with the app already served.
 */
export function useServedApp(deps: () => TestDeps | Promise<TestDeps> = () => makeDeps()): ServedApp {
  const app = {} as ServedApp;
  beforeEach(async () => {
    app.deps = await deps();
    app.server = await serveApp(app.deps);
  });
  afterEach(() => app.server.close());
  return app;
}
