import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { RequestListener } from 'node:http';
import type { EngineDeps } from '../engine/context.js';
import type { SlackContext } from './context.js';
import { registerCommands } from './listeners/commands.js';
import { registerDrill } from './listeners/drill.js';
import { registerInteractions } from './listeners/interactions.js';
import { registerRetro } from './listeners/retro.js';
import type { GroupResolver } from './usergroups.js';
import { requireFreshTimestamp } from './verify.js';

export type SlackTransport = { mode: 'http'; signingSecret: string } | { mode: 'socket'; appToken: string };

export interface SlackAppOptions {
  deps: EngineDeps;
  botToken: string;
  apiUrl: string;
  transport: SlackTransport;
  groupsOf: GroupResolver;
}

export interface SlackApp {
  app: App;
  /** For `/slack/events` on the bot's own HTTP server (HTTP mode). */
  requestListener?: RequestListener;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The Bolt app: transport only (HTTP on the bot's port, or Socket Mode), listeners registered in one place,
 * Events API retries answered once, errors handled in one place. The listener client is the interactive one
 * (few retries, short timeout), so that acks and modals never wait behind the notifier's queue.
 */
export function createSlackApp(options: SlackAppOptions): SlackApp {
  const { deps } = options;
  const clientOptions = { slackApiUrl: options.apiUrl, retryConfig: { retries: 1 }, timeout: 2_500 };
  const common = {
    token: options.botToken,
    clientOptions,
    // No auth.test at start-up: the bot reads no message events, so it needs no bot id to ignore itself.
    tokenVerificationEnabled: false,
    ignoreSelf: false,
    convoStore: false as const,
    logLevel: LogLevel.ERROR,
  };
  let receiver: HTTPReceiver | undefined;
  const app =
    options.transport.mode === 'http'
      ? new App({
          ...common,
          receiver: (receiver = new HTTPReceiver({
            signingSecret: options.transport.signingSecret,
            endpoints: '/slack/events',
            processBeforeResponse: false,
            unhandledRequestTimeoutMillis: 2_500,
            logLevel: LogLevel.ERROR,
          })),
        })
      : new App({ ...common, socketMode: true, appToken: options.transport.appToken });

  const context: SlackContext = { deps, groupsOf: options.groupsOf };
  app.use(async ({ body, next }) => {
    // Events API retries (X-Slack-Retry-Num) carry the same event_id: do the work once.
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string' && !(await deps.store.claimOnce(`slack:event:${eventId}`, 3_600_000)))
      return;
    await next();
  });
  registerCommands(app, context);
  registerInteractions(app, context);
  registerDrill(app, context);
  registerRetro(app, context);
  app.error(async (error) => {
    deps.logger.error({ err: error }, 'Slack listener failed');
  });

  const slack: SlackApp = {
    app,
    async start() {
      if (options.transport.mode === 'socket') await app.start();
    },
    async stop() {
      if (options.transport.mode === 'socket') await app.stop();
    },
  };
  if (receiver) slack.requestListener = requireFreshTimestamp(receiver.requestListener, deps.clock);
  return slack;
}
