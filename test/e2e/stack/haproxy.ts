/**
 * The traffic layer: a real haproxy (Debian package `haproxy`) in front of the model servers, one backend per
 * model with one server per version, named after the version. The first server takes the traffic; the others
 * start in maintenance (`disabled`). The admin socket is how the rollback moves traffic (traffic-switch.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port.js';
import { startService } from '../../helpers/service-process.js';

export interface HaproxyProcess {
  /** The front door the load generator calls. */
  url: string;
  /** haproxy's own Prometheus exporter (`host:port`, path /metrics). */
  metricsAddress: string;
  socketPath: string;
  backend: string;
  stop(): Promise<void>;
}

export interface HaproxyOptions {
  backend: string;
  /** Version name → `host:port` of its model server; the first one takes the traffic. */
  servers: Record<string, string>;
}

export function haproxyConfig(
  options: HaproxyOptions & { port: number; metricsPort: number; socketPath: string },
): string {
  const servers = Object.entries(options.servers).map(
    ([version, address], i) => `  server ${version} ${address}${i === 0 ? '' : ' disabled'}`,
  );
  return [
    'global',
    `  stats socket ${options.socketPath} mode 600 level admin`,
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend models',
    `  bind 127.0.0.1:${options.port}`,
    `  default_backend ${options.backend}`,
    'frontend exporter',
    `  bind 127.0.0.1:${options.metricsPort}`,
    '  http-request use-service prometheus-exporter if { path /metrics }',
    `backend ${options.backend}`,
    '  balance roundrobin',
    ...servers,
    '',
  ].join('\n');
}

export async function startHaproxy(options: HaproxyOptions): Promise<HaproxyProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'rollbot-haproxy-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  const [port, metricsPort] = [await freePort(), await freePort()];
  const socketPath = join(dir, 'admin.sock');
  const configPath = join(dir, 'haproxy.cfg');
  await writeFile(configPath, haproxyConfig({ ...options, port, metricsPort, socketPath }));
  const service = await startService({
    command: '/usr/sbin/haproxy',
    // -db: stay in the foreground, so that stopping this process stops haproxy.
    args: ['-db', '-f', configPath],
    debianPackage: 'haproxy',
    readyWhen: { port },
  }).catch(async (error: unknown) => {
    await removeDir();
    throw error;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    metricsAddress: `127.0.0.1:${metricsPort}`,
    socketPath,
    backend: options.backend,
    async stop() {
      await service.stop();
      await removeDir();
    },
  };
}
