import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startService } from './service-process.js';

export interface PrometheusProcess {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a real `prometheus` (Debian package `prometheus`) on a free loopback port, scraping `targets` every
 * second, with optional rule files; waits until it is ready.
 */
export async function startPrometheus(options: {
  targets: string[];
  rules?: string;
  extra?: string;
}): Promise<PrometheusProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'rollbot-prometheus-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  const port = await freePort();
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    options.rules ? `rule_files: ['${join(dir, 'rules.yml')}']` : '',
    'scrape_configs:',
    `  - job_name: models`,
    `    static_configs: [{ targets: [${options.targets.map((t) => `'${t}'`).join(', ')}] }]`,
    options.extra ?? '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  if (options.rules) await writeFile(join(dir, 'rules.yml'), options.rules);
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    command: 'prometheus',
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--rules.alert.resend-delay=1s',
    ],
    debianPackage: 'prometheus',
    readyWhen: { url: `${url}/-/ready` },
  }).catch(async (error: unknown) => {
    await removeDir();
    throw error;
  });
  return {
    url,
    process: service.process,
    async stop() {
      await service.stop();
      await removeDir();
    },
  };
}

/** A metrics endpoint whose gauges the test sets: `exporter.set('model_error_ratio{model="x"}', 0.08)`. */
export interface Exporter {
  address: string;
  set(series: string, value: number): void;
  close(): Promise<void>;
}

export async function startExporter(): Promise<Exporter> {
  const values = new Map<string, number>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end([...values].map(([series, value]) => `${series} ${value}`).join('\n') + '\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    set: (series, value) => values.set(series, value),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
