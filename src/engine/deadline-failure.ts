/**
 * What becomes of a deadline whose handler failed (poller.ts). It is never dropped: the work it guards (an
 * escalation, a retrospective's reminder, a rollback's settlement) would silently never happen. But one that keeps
 * failing (a bug, a record it cannot read, a serving layer that keeps throwing) must neither go unnoticed nor
 * cost a handler run and an error line every minute for good: each failure is counted
 * (`rollbot_deadline_failures_total{kind}`, which an alert rule watches), it is tried again ever less often, and
 * the log tells of it now and then, saying how long it has been failing.
 */
import { formatDuration } from '../core/duration.js';
import { StillOnItsWay } from './arrival.js';
import type { EngineDeps } from './context.js';
import type { Deadline, DeadlineFailures } from './ports.js';

/** The longest wait between two tries of a deadline that keeps failing. */
const MAX_RETRY_DELAY_MS = 15 * 60_000;

/** Failures in a row logged at error: the first, then every fourth (once an hour at 15 minutes apart). */
const LOG_EVERY = 4;

/** The claim a deadline was handed out under: when, and until when it is hidden from other pollers. */
export interface Claim {
  at: number;
  until: number;
}

/**
 * How long after its claim a deadline that has failed `count` times in a row is tried again: one lease after the
 * first failure, as before there was any backing off, then twice as long after each further one, up to 15
 * minutes.
 */
function retryDelayMs(leaseMs: number, count: number): number {
  return Math.min(leaseMs * 2 ** (count - 1), MAX_RETRY_DELAY_MS);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `1 time`, `5 times`. */
const times = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * Counts and logs the failure of `deadline`'s handler, and puts it back in the store to be tried again later, the
 * later the more often it has failed in a row. A delivery still on its way (Slack or the pager down, the notifier
 * retrying for minutes) is no failure: its deadline comes round after its lease to record it, as it says it will.
 * Never rejects: the store failing too leaves the deadline claimed, to come round after its lease.
 */
export async function retryFailedDeadline(
  deps: Pick<EngineDeps, 'store' | 'clock' | 'logger' | 'metrics'>,
  deadline: Deadline,
  claim: Claim,
  error: unknown,
): Promise<void> {
  const about = { deadline: deadline.id, kind: deadline.kind };
  const leaseMs = claim.until - claim.at;
  if (error instanceof StillOnItsWay) {
    deps.logger.warn(
      { err: error, ...about },
      `deadline handler still waits for a delivery; tried again in ${formatDuration(leaseMs)}`,
    );
    return;
  }
  deps.metrics.deadlineFailed(deadline.kind);
  const now = deps.clock.now();
  const failures: DeadlineFailures = {
    count: (deadline.failures?.count ?? 0) + 1,
    since: deadline.failures?.since ?? now,
  };
  const delayMs = retryDelayMs(leaseMs, failures.count);
  let next: string;
  try {
    const putBack = await deps.store.retryLater({ ...deadline, failures }, claim.until, claim.at + delayMs);
    next = putBack
      ? `tried again in ${formatDuration(delayMs)}`
      : 'scheduled or claimed again meanwhile, which says when it runs next';
  } catch (storeError) {
    deps.logger.error(
      { err: storeError, ...about },
      'could not put the failed deadline back (store unreachable?)',
    );
    next = `tried again in ${formatDuration(leaseMs)}`;
  }
  const fields = { err: error, ...about, failures: failures.count, failingSince: iso(failures.since) };
  const message = `deadline handler failed (${times(failures.count, 'time')} in a row, since ${iso(failures.since)}); ${next}`;
  if ((failures.count - 1) % LOG_EVERY === 0) deps.logger.error(fields, message);
  else deps.logger.debug(fields, message);
}

/** Tells that a deadline which had been failing was handled at last. */
export function logRecovered(deps: Pick<EngineDeps, 'logger'>, deadline: Deadline): void {
  const { failures } = deadline;
  if (!failures) return;
  deps.logger.info(
    {
      deadline: deadline.id,
      kind: deadline.kind,
      failures: failures.count,
      failingSince: iso(failures.since),
    },
    `deadline handled after ${times(failures.count, 'failure')} in a row since ${iso(failures.since)}`,
  );
}
