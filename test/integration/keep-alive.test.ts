/**
 * In HTTP mode Slack's requests reach the bot through a load balancer or an ingress, which keeps its connections to
 * the bot open between requests for up to a minute (AWS ALB, nginx ingress) or ten (Google's). Node closes a
 * connection idle for 5 s by default: a request the balancer sends on it in that instant fails, a 502 for a button
 * press, which Slack does not send again. The bot keeps idle connections longer than any balancer does.
 */
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBot, type RunningBot } from '../../src/main.js';
import { runbookDir } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';

let bot: RunningBot | undefined;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  agent.destroy();
});

/** GET `url` on the agent's one connection: the status and the socket it came on. */
function get(url: string): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket as Socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('connections kept alive', () => {
  it('serves a request on a connection left idle longer than Node closes one by default (5 s)', async () => {
    const dir = await runbookDir({ 'fraud-scorer.yml': runbookYaml('fraud-scorer') });
    // A drain longer than the test may take: stopping must not wait for the connection kept open.
    bot = await startBot(
      { RUNBOOKS_DIR: dir, LOG_LEVEL: 'silent', PORT: '0' },
      {},
      { rollbackDrainMs: 120_000 },
    );
    const first = await get(`${bot.url}/healthz`);
    let closed = false;
    first.socket.once('close', () => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(closed).toBe(false);
    const second = await get(`${bot.url}/healthz`);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.socket).toBe(first.socket);
    // Stopping closes it rather than waiting for it (the drain outlasts the test).
    const closing = new Promise((resolve) => first.socket.once('close', resolve));
    await bot.stop();
    await closing;
  });
});
