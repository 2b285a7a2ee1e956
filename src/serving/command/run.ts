/**
 * Runs one program without a shell, with a deadline, capturing the tail of its output. The process gets a
 * group of its own so that a timeout also reaches what it started (`helm` → plugins, `sh` → children):
 * killing only the direct child would leave grandchildren running and holding our pipes open.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface RunOptions {
  /** The child's whole environment: nothing is inherited. */
  env: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL on timeout. */
  killGraceMs?: number;
  /** Per stream; the last bytes are kept, since that is where tools say what went wrong. */
  maxOutputBytes?: number;
}

export interface RunResult {
  /** Null when the process was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The deadline passed and the process group was killed. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const DEFAULT_GRACE_MS = 5_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024;
// After the program exits, how long a grandchild may keep our pipes open before we stop reading.
const DRAIN_MS = 2_000;

/**
 * Runs `argv[0]` with `argv.slice(1)` as its arguments (`shell: false`: no string is ever parsed). Resolves
 * with the outcome, whatever the exit code; rejects only when the program could not be started (ENOENT,
 * EACCES, bad cwd), with Node's error.
 */
export function runCommand(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new Error('runCommand: argv is empty'));
  const started = Date.now();
  return new Promise<RunResult>((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        shell: false,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group (POSIX), so that a timeout can signal everything it started.
        detached: process.platform !== 'win32',
        windowsHide: true,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
    } catch (error) {
      // Invalid arguments (a NUL byte) throw synchronously instead of emitting 'error'.
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const stdout = new Tail(max);
    const stderr = new Tail(max);
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

    let settled = false;
    let exited = false;
    let timedOut = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (): void => {
      settled = true;
      timers.forEach(clearTimeout);
    };

    timers.push(
      setTimeout(() => {
        if (!exited) timedOut = true;
        signalGroup(child, 'SIGTERM');
        timers.push(setTimeout(() => signalGroup(child, 'SIGKILL'), options.killGraceMs ?? DEFAULT_GRACE_MS));
      }, options.timeoutMs),
    );
    child.on('exit', () => {
      exited = true;
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, DRAIN_MS),
      );
    });
    child.on('error', (error) => {
      if (settled) return;
      finish();
      reject(error);
    });
    child.on('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      finish();
      resolve({
        exitCode,
        signal,
        timedOut,
        stdout: stdout.text(),
        stderr: stderr.text(),
        durationMs: Date.now() - started,
      });
    });
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // A negative pid signals the whole group; the child leads its group because of `detached`.
    process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
  } catch {
    // ESRCH: already gone, which is what we wanted.
  }
}

/** Keeps the last `max` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = false;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
      this.dropped = true;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const kept = all.length > this.max ? all.subarray(all.length - this.max) : all;
    const cut = this.dropped || all.length > this.max;
    return `${cut ? '[earlier output dropped]\n' : ''}${kept.toString('utf8')}`;
  }
}
