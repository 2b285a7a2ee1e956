/**
 * Child process: the bare Bolt baseline for ack latency. The same Bolt version, receiver and settings as
 * rollbot's Slack app (src/slack/app.ts: HTTPReceiver on the bot's own server, processBeforeResponse false),
 * with listeners that only ack — and the bare alert route on the same port, so that it takes the same
 * 1,000 alerts/s as rollbot while it is measured.
 */
import { createServer } from 'node:http';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { Redis } from 'ioredis';
import { authorizeAs } from '../../src/slack/app.js';
import { handleBareAlert } from './bare-alerts.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const receiver = new HTTPReceiver({
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  endpoints: '/slack/events',
  processBeforeResponse: false,
  unhandledRequestTimeoutMillis: 2_500,
  logLevel: LogLevel.ERROR,
});
const app = new App({
  // Authorized as rollbot's is, with no auth.test per request.
  authorize: authorizeAs(process.env.SLACK_BOT_TOKEN ?? 'xoxb-bare'),
  receiver,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? 'http://127.0.0.1:9/api/' },
  ignoreSelf: false,
  convoStore: false,
  logLevel: LogLevel.ERROR,
});
app.command(/.*/, async ({ ack }) => ack());
app.action(/.*/, async ({ ack }) => ack());

const server = createServer((req, res) => {
  if ((req.url ?? '').startsWith('/slack/events')) return receiver.requestListener(req, res);
  if (!handleBareAlert({ redis }, req, res)) res.writeHead(404).end();
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  redis.disconnect();
  process.exit(0);
});
