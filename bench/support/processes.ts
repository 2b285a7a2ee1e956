import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { freePort } from '../../test/helpers/free-port.js';
import { GC_MARK } from './gc-mark.js';

export interface ChildServer {
  name: string;
  url: string;
  pid: number;
  /** The last 64 KiB the process printed (logs are drained so that a full pipe never blocks it). */
  output(): string;
  /** Resident set size now, from /proc, without disturbing the process. */
  rssBytes(): Promise<number>;
  /** Runs a full GC in the process (SIGUSR2, see gc-preload.ts) and returns its memoryUsage() after it. */
  collectGarbage(): Promise<NodeJS.MemoryUsage>;
  stop(): Promise<void>;
}

const OUTPUT_KEPT = 64 * 1024;
const live = new Set<ChildProcess>();

// Children are in the bench's process group; this makes sure none outlives a bench that fails or is stopped.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts a compiled program (`script`, absolute) as its own Node process on a free port, with --expose-gc and
 * the GC preload, and waits until `GET /readyz` answers 200.
 */
export async function startChild(options: {
  name: string;
  script: string;
  preload: string;
  env: Record<string, string>;
  /** Extra Node options, e.g. --cpu-prof. */
  nodeArgs?: string[];
}): Promise<ChildServer> {
  const port = await freePort();
  const args = ['--expose-gc', ...(options.nodeArgs ?? []), '--import', options.preload, options.script];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  const memoryWaiters: ((usage: NodeJS.MemoryUsage) => void)[] = [];
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT)));
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(GC_MARK)) {
        const usage = JSON.parse(line.slice(GC_MARK.length)) as NodeJS.MemoryUsage;
        memoryWaiters.splice(0).forEach((resolve) => resolve(usage));
      } else {
        output = (output + line + '\n').slice(-OUTPUT_KEPT);
      }
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(options.name, url, child, () => output);
  const pid = child.pid ?? 0;
  return {
    name: options.name,
    url,
    pid,
    output: () => output,
    async rssBytes() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
      return kib * 1024;
    },
    collectGarbage() {
      const usage = new Promise<NodeJS.MemoryUsage>((resolve) => memoryWaiters.push(resolve));
      child.kill('SIGUSR2');
      return usage;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitReady(name: string, url: string, child: ChildProcess, output: () => string) {
  const giveUpAt = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output()}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (Date.now() > giveUpAt) throw new Error(`${name} not ready within 30 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
