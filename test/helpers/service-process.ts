import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';
import { createConnection } from 'node:net';

/** How to tell that a service is up: a TCP port on 127.0.0.1 that accepts connections, or a URL answering 2xx. */
export type Readiness = { port: number } | { url: string };

export interface ServiceOptions {
  command: string;
  args: readonly string[];
  /** The Debian package that provides `command`, named in the error when it is not installed. */
  debianPackage: string;
  readyWhen: Readiness;
  /** For messages; default the command's base name. */
  name?: string;
  readyTimeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Time between SIGTERM and SIGKILL when stopping. */
  stopGraceMs?: number;
}

export interface ServiceProcess {
  name: string;
  process: ChildProcess;
  /** Everything the process printed so far (the last 256 KiB), for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

const MAX_OUTPUT = 256 * 1024;

/**
 * Spawns a service (no shell), collects its output and resolves once it is ready. When it cannot start — binary
 * missing, exits early, never ready — the process is stopped and the error says why, with its output.
 */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const name = options.name ?? basename(options.command);
  const child = spawn(options.command, options.args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    spawnError =
      error.code === 'ENOENT'
        ? new Error(`${options.command} is not installed: apt-get install -y ${options.debianPackage}`)
        : new Error(`cannot start ${name} (${error.message})`);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopping: Promise<void> | undefined;
  const service: ServiceProcess = {
    name,
    process: child,
    output: () => output,
    stop() {
      stopping ??= stopChild(child, exited, options.stopGraceMs ?? 5_000);
      return stopping;
    },
  };

  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) throw spawnError;
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.exitCode !== null ? `with code ${child.exitCode}` : `by ${child.signalCode}`;
      throw new Error(`${name} exited ${how} before it was ready:\n${output}`);
    }
    if (await isReady(options.readyWhen)) return service;
    if (Date.now() > giveUpAt) {
      await service.stop();
      throw new Error(
        `${name} was not ready (${describe(options.readyWhen)}) within ${timeoutMs} ms:\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  // Never spawned (missing binary) or gone already: nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const result = await Promise.race([exited, graceOver]);
  clearTimeout(timer);
  if (result === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
}

function describe(readiness: Readiness): string {
  return 'port' in readiness ? `port ${readiness.port}` : readiness.url;
}

function isReady(readiness: Readiness): Promise<boolean> {
  if ('port' in readiness) return canConnect(readiness.port);
  return fetch(readiness.url, { signal: AbortSignal.timeout(2_000) }).then(
    async (response) => {
      await response.body?.cancel();
      return response.ok;
    },
    () => false,
  );
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
