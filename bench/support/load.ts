import { performance } from 'node:perf_hooks';

export interface ClosedLoopResult {
  requests: number;
  /** Work units done (alerts), as counted by `send`. */
  units: number;
  errors: number;
  elapsedMs: number;
  firstError?: string;
}

/**
 * Throughput: `concurrency` senders, each sending its next request as soon as the previous one is answered,
 * for `durationMs`. A request that fails counts as an error, not as work.
 */
export async function closedLoop(options: {
  concurrency: number;
  durationMs: number;
  send: () => Promise<number>;
}): Promise<ClosedLoopResult> {
  const result: ClosedLoopResult = { requests: 0, units: 0, errors: 0, elapsedMs: 0 };
  const started = performance.now();
  const stopAt = started + options.durationMs;
  const sender = async () => {
    while (performance.now() < stopAt) {
      try {
        // Not `units += await send()`: that reads `units` before the await and loses the other senders' work.
        const units = await options.send();
        result.units += units;
        result.requests += 1;
      } catch (error) {
        result.errors += 1;
        result.firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  result.elapsedMs = performance.now() - started;
  return result;
}

/**
 * Open-loop load at a fixed rate: request `i` is sent at `i / perSecond` seconds whether or not earlier ones
 * were answered — the way alerts and users arrive, and the only way a slow server shows up as latency rather
 * than as a politely reduced rate. Resolves when every request has been answered.
 */
export async function paced(options: {
  perSecond: number;
  count: number;
  send: (index: number) => Promise<void>;
}): Promise<{ elapsedMs: number; maxLagMs: number }> {
  const started = performance.now();
  const pending: Promise<void>[] = [];
  let next = 0;
  let maxLagMs = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < options.count && (next * 1000) / options.perSecond <= now - started) {
        maxLagMs = Math.max(maxLagMs, now - started - (next * 1000) / options.perSecond);
        pending.push(options.send(next));
        next += 1;
      }
      if (next >= options.count) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(pending);
  return { elapsedMs: performance.now() - started, maxLagMs };
}

/**
 * Exactly `count` requests through `concurrency` senders (closed loop). Resolves with the failures; a failed
 * request is not retried.
 */
export async function countedLoop(options: {
  concurrency: number;
  count: number;
  send: (index: number) => Promise<void>;
}): Promise<{ errors: number; firstError?: string }> {
  const result: { errors: number; firstError?: string } = { errors: 0 };
  let next = 0;
  const sender = async () => {
    while (next < options.count) {
      const index = next++;
      try {
        await options.send(index);
      } catch (error) {
        result.errors += 1;
        result.firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  return result;
}
