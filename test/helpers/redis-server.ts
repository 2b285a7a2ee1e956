import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startService } from './service-process.js';

export interface RedisProcess {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a real `redis-server` on a free loopback port, in a temporary directory, with AOF on so that a
 * restart keeps its data (tests of Redis restarts rely on it).
 */
export async function startRedis(options: { port?: number; dir?: string } = {}): Promise<RedisProcess> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'rollbot-redis-')));
  const removeDir = async (): Promise<void> => {
    // A caller's own directory outlives this process: it holds the AOF a restart reads back.
    if (!options.dir) await rm(dir, { recursive: true, force: true });
  };
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
    ...['--appendonly', 'yes', '--save', '', '--protected-mode', 'no'],
  ];
  const service = await startService({
    command: 'redis-server',
    args,
    debianPackage: 'redis-server',
    readyWhen: { port },
    readyTimeoutMs: 10_000,
  }).catch(async (error: unknown) => {
    await removeDir();
    throw error;
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: service.process,
    async stop() {
      await service.stop();
      await removeDir();
    },
  };
}
