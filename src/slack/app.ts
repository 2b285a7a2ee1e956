import {
  App,
  type Authorize,
  HTTPModuleFunctions,
  HTTPReceiver,
  isValidSlackRequest,
  LogLevel,
  type BufferedIncomingMessage,
  type ReceiverProcessEventErrorHandlerArgs,
} from '@slack/bolt';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { isRollbotError, RollbotError } from '../core/errors.js';
import type { EngineDeps } from '../engine/context.js';
import { sendError } from '../http/errors.js';
import type { SlackContext } from './context.js';
import { registerCommands } from './listeners/commands.js';
import { registerDrill } from './listeners/drill.js';
import { registerInteractions } from './listeners/interactions.js';
import { registerPins } from './listeners/pins.js';
import { registerRetro } from './listeners/retro.js';
import type { GroupResolver } from '../engine/group-membership.js';
import type { ChannelDirectory } from './notifier/channels.js';
import { requireFreshTimestamp } from './verify.js';

export type SlackTransport = { mode: 'http'; signingSecret: string } | { mode: 'socket'; appToken: string };

export interface SlackAppOptions {
  deps: EngineDeps;
  botToken: string;
  apiUrl: string;
  transport: SlackTransport;
  groupsOf: GroupResolver;
  /** The bot's channel directory (compose.ts), so replies can link a runbook channel given as `#name`. */
  channels?: ChannelDirectory;
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
    authorize: authorizeAs(options.botToken),
    clientOptions,
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
            processEventErrorHandler: (args) => refuseBrokenEnvelope(args, deps.logger),
          })),
        })
      : new App({ ...common, socketMode: true, appToken: options.transport.appToken });

  const context: SlackContext = {
    deps,
    groupsOf: options.groupsOf,
    ...(options.channels ? { channels: options.channels } : {}),
  };
  app.use(async ({ body, next }) => {
    // Events API retries (X-Slack-Retry-Num) carry the same event_id: do the work once.
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === 'string' && !(await claimEvent(deps, eventId))) return;
    await next();
  });
  registerCommands(app, context);
  registerInteractions(app, context);
  registerDrill(app, context);
  registerRetro(app, context);
  registerPins(app, context);
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
  if (receiver && options.transport.mode === 'http') {
    const guarded = requireObjectBody(receiver.requestListener, options.transport.signingSecret, deps.logger);
    slack.requestListener = requireFreshTimestamp(guarded, deps.clock);
  }
  return slack;
}

/**
 * Every Slack request authorized as the bot, with no Web API call. Given a `token` and no bot ids instead, Bolt asks
 * Slack auth.test before every request's listeners: a round trip to Slack before each ack, and no listener at all
 * while auth.test fails (the Web API down or rate limited while Slack still delivers presses). The bot needs no bot
 * ids: it reads no message events, so it has nothing of its own to ignore (its one event, reaction_added, brings
 * back its own ✅, which is no 📌: listeners/pins.ts leaves it). The request's team (or org) is named because Bolt
 * gives listeners a client holding the token only for a request it can place; that client names the team in its
 * calls, as any app installed by OAuth does.
 */
export function authorizeAs(botToken: string): Authorize<boolean> {
  return async ({ teamId, enterpriseId }) => ({
    botToken,
    ...(teamId === undefined ? {} : { teamId }),
    ...(enterpriseId === undefined ? {} : { enterpriseId }),
  });
}

/**
 * Refuses bodies that are not a JSON object (`null`, `payload=null`, a number, a list) before Bolt sees them.
 * Bolt's HTTPReceiver reads `body.ssl_check` outside its try/catch: a `null` body never gets an answer and its
 * rejection is unhandled, which ends the process. The body is buffered here as Bolt does it (Bolt then reuses
 * `rawBody`) and parsed with Bolt's own parser, so both see the same thing. The signature of a refused body is
 * still checked first: an unsigned request gets 401, as from Bolt, whatever it holds.
 */
function requireObjectBody(
  listener: RequestListener,
  signingSecret: string,
  logger: EngineDeps['logger'],
): RequestListener {
  const guard = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let buffered: BufferedIncomingMessage;
    try {
      buffered = await HTTPModuleFunctions.bufferIncomingMessage(req, HTTPModuleFunctions.defaultBodyLimit);
    } catch (error) {
      const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && error.statusCode === 413;
      throw tooLarge
        ? new RollbotError('PAYLOAD_TOO_LARGE', 'the body is larger than any Slack request', {
            hint: 'this route takes only Slack requests, which stay far below its 4 MB limit',
          })
        : new RollbotError('BAD_REQUEST', 'the body could not be read', { hint: 'send the whole body' });
    }
    if (isObjectBody(buffered)) return listener(req, res);
    if (!isSigned(buffered, signingSecret)) {
      throw new RollbotError('UNAUTHORIZED', 'the request signature is not valid', {
        hint: 'sign the request with the Slack app signing secret',
      });
    }
    throw new RollbotError(
      'BAD_REQUEST',
      'the body is not a Slack payload: expected a JSON object, or a form whose payload is one',
      { hint: 'this route takes only Slack commands, interactions and events' },
    );
  };
  return (req, res) => {
    guard(req, res).catch((error: unknown) => {
      // Refusals are RollbotErrors; anything else is a 500 whose cause belongs in the log.
      if (!isRollbotError(error)) logger.error({ err: error }, 'Slack request failed before Bolt');
      sendError(res, error);
    });
  };
}

/** False only when the body parses to something else than an object; a parse error is Bolt's to answer. */
function isObjectBody(req: BufferedIncomingMessage): boolean {
  let body: unknown;
  try {
    body = HTTPModuleFunctions.parseHTTPRequestBody(req);
  } catch {
    return true;
  }
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

function isSigned(req: BufferedIncomingMessage, signingSecret: string): boolean {
  const signature = req.headers['x-slack-signature'];
  return (
    typeof signature === 'string' &&
    isValidSlackRequest({
      signingSecret,
      body: req.rawBody.toString(),
      headers: {
        'x-slack-signature': signature,
        'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
      },
    })
  );
}

/**
 * Bolt reads the envelope (`user.id`, `actions[0]`, `view.callback_id`, `team.id`) before any listener runs, and
 * its default handler answers a TypeError there with 500. Slack never sends such envelopes, so the sender (who
 * holds the signing secret) gets a 400 naming the problem; anything else keeps Bolt's default handling.
 */
async function refuseBrokenEnvelope(
  args: ReceiverProcessEventErrorHandlerArgs,
  logger: EngineDeps['logger'],
): Promise<boolean> {
  const { error, response } = args;
  if (!(error instanceof TypeError) || response.headersSent)
    return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
  logger.warn({ err: error }, 'refused a signed Slack request with a malformed envelope');
  sendError(
    response,
    new RollbotError('BAD_REQUEST', `the Slack payload is malformed: ${error.message}`, {
      hint: 'send the fields Slack sends (user, team, actions, view) with the types Slack uses',
    }),
  );
  return true;
}

/**
 * Whether this process is the first to see Events API event `eventId` (false: a retry another replica, or this
 * one, has handled). When the store cannot tell, the event is handled all the same: Bolt acked it before the
 * listeners run, so Slack will not send it again, and dropping it would lose it (a 📌). Every listener of
 * BOT_EVENTS (ids.ts) is safe to run twice for one event, which a retry arriving then may make it.
 */
async function claimEvent(deps: EngineDeps, eventId: string): Promise<boolean> {
  try {
    return await deps.store.claimOnce(`slack:event:${eventId}`, 3_600_000);
  } catch (error) {
    deps.logger.warn(
      { err: error, eventId },
      'cannot tell whether this Slack event was handled already (the store failed); handling it',
    );
    return true;
  }
}
