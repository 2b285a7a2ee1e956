import { backoffMs } from '../core/backoff.js';
import { ServingError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { RollbackRecord } from '../core/rollback.js';

export interface RetryOptions {
  /** Give up rather than wait past this moment (epoch ms): see `attemptDeadline`. */
  deadline: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  baseMs: number;
  /** Told about each retry, for the timeline. */
  onRetry?: (error: ServingError, attempt: number, waitMs: number) => Promise<void> | void;
}

const MAX_WAIT_MS = 30_000;

/**
 * When a rollback attempt gives up (retries, waiting for traffic on the target): at the stage target, or later
 * when the plan needs longer — a redeploy whose ETA exceeds the target, or an attempt started after the target
 * passed (a retry once RBAC is fixed). Missing the target is escalated by the stage deadline; giving up on a
 * change that is still landing would report a good rollback as FAILED.
 */
export function attemptDeadline(stageDeadline: number, attemptStart: number, etaMs: number): number {
  // The ETA again as margin: ETAs are estimates, and a redeploy that lands a little late still lands.
  return Math.max(stageDeadline, attemptStart + 2 * etaMs);
}

/**
 * attemptDeadline of an incident's rollback attempt, from what is stored on it: the bound its own wait for traffic
 * keeps to, and the one a settlement after a restart keeps to (recovery-wait.ts), so that both give up alike.
 */
export function rollbackAttemptDeadline(
  incident: Pick<Incident, 'stages' | 'targets'>,
  attempt: Pick<RollbackRecord, 'startedAt' | 'plan'>,
): number {
  const stageStart = incident.stages.rollback.startedAt ?? attempt.startedAt;
  return attemptDeadline(stageStart + incident.targets.rollback, attempt.startedAt, attempt.plan.etaMs);
}

/**
 * Runs `work`, retrying transient serving errors with exponential backoff (honouring a Retry-After the layer
 * sent) while the next try still fits before the deadline. Other errors, and the last transient one, are
 * thrown as they are: the caller reports them.
 */
export async function withRetry<T>(work: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof ServingError) || !error.transient) throw error;
      const wait = backoffMs(attempt, error, { baseMs: options.baseMs, maxWaitMs: MAX_WAIT_MS });
      if (options.now() + wait >= options.deadline) throw error;
      await options.onRetry?.(error, attempt, wait);
      await options.sleep(wait);
    }
  }
}

/**
 * Runs `work`, and again after each of `waitsMs` while it throws: for work that is safe to repeat whatever the
 * failure (an idempotent store write), where the error says nothing about whether trying again helps (a Redis
 * blip and a Redis gone look alike). `onRetry` is told each failure before the wait; the last error is thrown
 * as it is, once the waits are spent.
 */
export async function retryAfterWaits<T>(
  work: () => Promise<T>,
  waitsMs: readonly number[],
  options: {
    sleep: (ms: number) => Promise<void>;
    onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const wait = waitsMs[attempt - 1];
      if (wait === undefined) throw error;
      options.onRetry?.(error, attempt, wait);
      await options.sleep(wait);
    }
  }
}
