/**
 * Child process: the bare alert-ingest baseline. A plain Node HTTP server in front of handleBareAlert; with
 * BARE_SLACK_API_URL it also makes one chat.postMessage per accepted request (the first-call baseline).
 */
import { Agent, createServer, request } from 'node:http';
import { Redis } from 'ioredis';
import { handleBareAlert } from './bare-alerts.js';
import { channelFor } from './runbooks.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const slackApi = process.env.BARE_SLACK_API_URL;
const slackAgent = new Agent({ keepAlive: true, maxSockets: 8 });

function postMessage(model: string): void {
  if (!slackApi) return;
  const url = new URL('chat.postMessage', slackApi);
  const body = new URLSearchParams({ channel: channelFor(model), text: `${model} alert` }).toString();
  const req = request(url, {
    method: 'POST',
    agent: slackAgent,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-bare' },
  });
  req.on('response', (res) => res.resume());
  req.on('error', (error) => console.error('bare chat.postMessage failed:', error.message));
  req.end(body);
}

const server = createServer((req, res) => {
  if (!handleBareAlert({ redis, onAccepted: postMessage }, req, res)) {
    res.writeHead(404).end();
  }
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  redis.disconnect();
  process.exit(0);
});
