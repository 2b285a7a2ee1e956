/**
 * A digest whose lock is busy when its deadline comes due: another replica is at it (its lease passed while it
 * waited for Slack), or a late arrival is being recorded. An expected, harmless moment: no error line at 2am,
 * the digest looked at again a minute on, and posted once in all (by whichever replica's delivery arrived),
 * never lost.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DIGEST_SEND, scheduleDigest, sendDigest } from '../../../src/engine/digest.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import type { Deadline } from '../../../src/engine/ports.js';
import { createLogger } from '../../../src/observability/logger.js';
import { makeDeps } from '../../helpers/engine.js';
import { makeIncident } from '../../helpers/incidents.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** pino's level numbers. */
const ERROR = 50;

/** Lets the other replica's send run up to its wait for Slack. */
async function until(check: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !check(); turn += 1) await new Promise((resolve) => setImmediate(resolve));
  expect(check()).toBe(true);
}

/**
 * The digest of one SEV-4 incident, due now on `deps` (whose log lines are kept), and another replica on the same
 * store and clock already sending it, its delivery held until `arrive(outcome)`.
 */
async function digestBusyElsewhere() {
  const deps = makeDeps();
  const lines: { level: number; msg: string }[] = [];
  deps.logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    }),
  });
  const digestAt = deps.clock.now() + HOUR;
  const minor = makeIncident({ model: 'fraud-scorer', severity: 4, at: deps.clock.now() });
  await deps.store.createIfNoneOpen(minor);
  await scheduleDigest(deps, 'C0TEST0001', digestAt);
  deps.clock.advance(HOUR);

  const other = makeDeps({ store: deps.store, clock: deps.clock, fake: deps.fake });
  let arrive = (_outcome: boolean): void => undefined;
  other.notifier.arrival = () => new Promise<boolean>((resolve) => (arrive = resolve));
  const deadline: Deadline = {
    id: 'x',
    kind: DIGEST_SEND,
    dueAt: digestAt,
    payload: { channel: 'C0TEST0001' },
  };
  const othersSend = sendDigest(other, deadline);
  await until(() => other.notifier.delivered.length === 1);

  const digests = () => [
    ...other.notifier.ofType('channel.message'),
    ...deps.notifier.ofType('channel.message'),
  ];
  const digestDeadlines = async () =>
    (await deps.store.pending()).filter((pending) => pending.kind === DIGEST_SEND);
  return {
    deps,
    lines,
    arrive: (outcome: boolean) => arrive(outcome),
    othersSend,
    digests,
    digestDeadlines,
    minor,
  };
}

const errorsIn = (lines: { level: number }[]) => lines.filter((line) => line.level >= ERROR);

describe('a daily digest whose lock is busy', () => {
  it('logs no error and looks again a minute on; posted once, by the replica whose delivery arrived', async () => {
    const { deps, lines, arrive, othersSend, digests, digestDeadlines } = await digestBusyElsewhere();
    await pollDeadlines(deps);
    expect(errorsIn(lines)).toEqual([]);
    expect(lines.map((line) => line.msg)).toContainEqual(
      expect.stringMatching(/^the digest for C0TEST0001 is being sent or recorded elsewhere/),
    );
    expect((await digestDeadlines()).map((deadline) => deadline.dueAt)).toEqual([deps.clock.now() + MINUTE]);

    arrive(true);
    expect(await othersSend).toBe(1);
    deps.clock.advance(MINUTE);
    await pollDeadlines(deps);
    expect(digests()).toHaveLength(1);
    expect(await digestDeadlines()).toEqual([]);
    expect(errorsIn(lines)).toEqual([]);
  });

  it('posts it once the lock frees when the other replica did not get it to Slack', async () => {
    const { deps, lines, arrive, othersSend, digests, digestDeadlines, minor } = await digestBusyElsewhere();
    await pollDeadlines(deps);
    // Looked at again while the other replica still waits: still busy, still no error, a minute on again.
    deps.clock.advance(MINUTE);
    await pollDeadlines(deps);
    expect((await digestDeadlines()).map((deadline) => deadline.dueAt)).toEqual([deps.clock.now() + MINUTE]);
    // Opened after the digest time: it waits for the next digest, though this one goes out later.
    await deps.store.createIfNoneOpen({
      ...makeIncident({ model: 'churn-predictor', severity: 4, at: deps.clock.now() }),
      id: 'INC-LATER',
    });

    arrive(false); // Slack gave up on the other replica's post
    expect(await othersSend).toBe(0);
    deps.clock.advance(MINUTE);
    await pollDeadlines(deps);
    const posted = deps.notifier.ofType('channel.message');
    expect(posted).toHaveLength(1);
    expect(posted[0]?.text).toContain(minor.id);
    expect(posted[0]?.text).not.toContain('INC-LATER');
    expect(digests()).toHaveLength(2); // the other replica's, which never arrived, and this one
    deps.clock.advance(HOUR);
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('channel.message')).toHaveLength(1);
    expect(errorsIn(lines)).toEqual([]);
  });
});
