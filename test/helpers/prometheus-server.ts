import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

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
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--rules.alert.resend-delay=1s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(new Error(`cannot start prometheus (${error.message}); apt-get install -y prometheus`)),
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  const ready = (async () => {
    const giveUpAt = Date.now() + 20_000;
    while (Date.now() < giveUpAt) {
      if (child.exitCode !== null) throw new Error(`prometheus exited:\n${output}`);
      if (
        await fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`prometheus not ready within 20s:\n${output}`);
  })();
  await Promise.race([ready, spawnError]);
  return {
    url,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
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
