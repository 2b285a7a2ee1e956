/**
 * A bot that cannot listen where HOST and PORT say stops start-up naming the variable and the fix, as a bad value
 * of any other variable does (README "Configuration"), rather than with a bare `listen EADDRINUSE` stack.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startBot } from '../../src/main.js';
import { runbookDir } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';

let holder: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (holder ? holder.close(resolve) : resolve(undefined)));
  holder = undefined;
});

async function env(overrides: Record<string, string>): Promise<Record<string, string>> {
  const dir = await runbookDir({ 'fraud-scorer.yml': runbookYaml('fraud-scorer') });
  return { RUNBOOKS_DIR: dir, LOG_LEVEL: 'silent', ...overrides };
}

describe('a bot that cannot listen', () => {
  it('names PORT when another process holds the port', async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder?.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    await expect(startBot(await env({ PORT: String(port) }))).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: `cannot listen on 127.0.0.1:${port}: the port is in use by another process (EADDRINUSE)`,
      hint: 'stop that process, or set PORT to a free port (0: any free one)',
    });
  });

  it('names HOST when it is not an address of this machine', async () => {
    await expect(startBot(await env({ HOST: 'http://0.0.0.0', PORT: '0' }))).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining(
        'cannot listen on http://0.0.0.0:0: HOST is not an address of this machine',
      ),
      hint: 'set HOST to an address or name of this machine: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)',
    });
  });
});

describe('the address a bot says it listens on', () => {
  it('is a URL that reaches it when HOST is an IPv6 address (brackets around it)', async () => {
    // "rollbot listening on http://::1:33259" could not be pasted into curl, nor the API warning's URL.
    const bot = await startBot(await env({ HOST: '::1', PORT: '0' }));
    try {
      expect(bot.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    } finally {
      await bot.stop();
    }
  });
});
