import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSlackClients } from '../../../src/slack/notifier/clients.js';

describe("the bot's Slack clients", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("leave a failed call to rollbot's own log, printing nothing LOG_LEVEL does not govern", async () => {
    const printed = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation(() => undefined),
    );
    // Port 9 is one fetch refuses at once: the call fails without waiting for a network.
    const { notifier, interactive } = createSlackClients({
      token: 'xoxb-test',
      apiUrl: 'http://127.0.0.1:9/api/',
    });
    await expect(notifier.auth.test()).rejects.toThrow();
    await expect(interactive.auth.test()).rejects.toThrow();
    for (const spy of printed) expect(spy.mock.calls).toEqual([]);
  });
});
