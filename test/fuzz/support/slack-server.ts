import { vi } from 'vitest';
import { createApp } from '../../../src/http/app.js';
import { createSlackApp } from '../../../src/slack/app.js';
import { RealClock, snapshotGroups } from '../../helpers/engine.js';
import { slackSignature, SIGNING_SECRET } from '../../helpers/slack.js';
import { startSlackStandIn, type SlackStandIn } from '../../helpers/slack-standin.js';
import { request, type Answer } from './checks.js';
import { encode, type SlackBody, type SlackTargets } from './slack-bodies.js';
import { startFuzzServer, type FuzzServer } from './world.js';

/** The bot's HTTP app with Slack over HTTP (the real Bolt receiver), talking to a local Slack stand-in. */
export interface SlackFuzzServer {
  server: FuzzServer;
  standin: SlackStandIn;
  targets: SlackTargets;
  /** Posts to /slack/events, signed with the real secret at the current time unless `headers` say otherwise. */
  post(body: SlackBody, headers?: Record<string, string | undefined>): Promise<Answer>;
  /** Bolt answers before its listeners finish: waits until the stand-in has been quiet for a moment. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startSlackFuzzServer(redisUrl: string): Promise<SlackFuzzServer> {
  // Bolt logs every unacknowledged or failed request at ERROR on the console; hundreds of them would bury the
  // report. The tests check the answers themselves.
  const consoleError = console.error.bind(console);
  const muted = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (typeof args[0] !== 'string' || !args[0].startsWith('[ERROR]')) consoleError(...args);
  });
  const standin = await startSlackStandIn();
  const server = await startFuzzServer(
    redisUrl,
    ({ deps }) => {
      const slack = createSlackApp({
        deps,
        botToken: 'xoxb-fuzz',
        apiUrl: standin.apiUrl,
        transport: { mode: 'http', signingSecret: SIGNING_SECRET },
        groupsOf: async () => ({ groups: [], unchecked: [] }),
      });
      if (!slack.requestListener) throw new Error('the Slack app has no HTTP listener in HTTP mode');
      return createApp({
        deps,
        alerts: { token: 't', allowUnauthenticated: false },
        apiToken: undefined,
        registry: deps.metrics.registry,
        groupsOf: snapshotGroups(deps),
        slack: slack.requestListener,
      });
    },
    // Slack's signatures carry the sender's time; the bot checks them against its clock.
    () => new RealClock(),
  );
  return {
    server,
    standin,
    targets: { responseUrl: `${standin.apiUrl.replace(/\/api\/$/, '')}/commands/1` },
    post(body, headers = {}) {
      const { body: text, contentType } = encode(body);
      const timestamp = Math.floor(Date.now() / 1000);
      const all: Record<string, string | undefined> = {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(text, timestamp),
        ...headers,
      };
      const sent = Object.fromEntries(
        Object.entries(all).filter((entry): entry is [string, string] => !!entry[1]),
      );
      return request(`${server.url}/slack/events`, { method: 'POST', headers: sent, body: text });
    },
    async settle() {
      for (let round = 0; round < 30; round++) {
        const seen = standin.calls.length;
        await new Promise((resolve) => setTimeout(resolve, 40));
        if (standin.calls.length === seen) return;
      }
    },
    async close() {
      await server.close();
      await standin.close();
      muted.mockRestore();
    },
  };
}
