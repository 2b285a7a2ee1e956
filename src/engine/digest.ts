/**
 * The daily digest: SEV-4 incidents page nobody; once a day each channel gets one message listing the SEV-4
 * incidents opened since its last digest. A durable deadline per channel and digest time, so that it survives
 * restarts and goes out once across replicas.
 */
import type { Incident } from '../core/incident.js';
import { oneLine, truncate } from '../core/text.js';
import { deliverInTime } from './arrival.js';
import type { EngineDeps } from './context.js';
import type { Deadline } from './ports.js';
import { sendUnlessMarked } from './send-once.js';

export const DIGEST_SEND = 'digest-send';

const DAY_MS = 86_400_000;
/** How far back a digest looks, and how long an incident is remembered as already listed. */
const LOOKBACK_MS = 8 * DAY_MS;
/** Enough for any day's SEV-4s; the store lists newest first. */
const SCAN_LIMIT = 1_000;

const listedKey = (incidentId: string) => `digest-listed:${incidentId}`;

/**
 * Incident lines in one digest, and the characters of a summary on its line. A digest is one plain message
 * (Slack shows about 4,000 characters of it): alert descriptions used as summaries run to hundreds, and a
 * digest cut short by the notifier lost the incidents past the cut, marked listed all the same. The rest are
 * counted instead, with where to find them.
 */
const MAX_LINES = 20;
const SUMMARY_CHARS = 120;
/**
 * The characters the header and the incident lines may take, as Slack counts them once it has escaped them
 * (see shownLength), leaving room under the 4,000 for the line counting the rest: a model name may be 63
 * characters and a summary's `>` and `&` grow fourfold, so twenty lines can outgrow the message, and a
 * message cut by whole lines lost the count of the rest with its tail.
 */
const MESSAGE_CHARS = 3_600;

/** How long a digest whose lock is busy waits before it looks again. */
const BUSY_LOOK_AGAIN_MS = 60_000;

/** Puts `channel`'s next digest at `dueAt` (idempotent: every SEV-4 opening before then schedules the same). */
export async function scheduleDigest(deps: EngineDeps, channel: string, dueAt: number): Promise<void> {
  await deps.store.schedule({
    id: `digest:${channel}:${dueAt}`,
    kind: DIGEST_SEND,
    dueAt,
    payload: { channel },
  });
}

/**
 * The digest time of a digest's deadline: its due time, unless it is a look again (lookAgainLater), which
 * carries it as `digestAt`. The time names the digest's lock and bounds its incidents, so a later look is the
 * same digest, never a second one.
 */
function digestTimeOf(deadline: Deadline): number {
  const { digestAt } = deadline.payload;
  return typeof digestAt === 'number' ? digestAt : deadline.dueAt;
}

/**
 * Has the digest's deadline come again at `at`, still the digest at `digestAt`: the same deadline (its id) due
 * later, which the poller then keeps rather than completing it (Deadlines.complete), as a handler that schedules
 * its own next run does. No failure: the digest's lock is busy for a moment.
 */
async function lookAgainLater(
  deps: EngineDeps,
  deadline: Deadline,
  digestAt: number,
  at: number,
): Promise<void> {
  await deps.store.schedule({
    id: deadline.id,
    kind: DIGEST_SEND,
    dueAt: at,
    payload: { channel: String(deadline.payload.channel), digestAt },
  });
}

/**
 * Posts the digest for the deadline's channel: every SEV-4 incident (drills aside) of a model that reports
 * there, opened before the digest time and not listed in an earlier digest. Incidents are marked listed only
 * once the message has reached Slack (deliverInTime), so a crash in between repeats a line rather than losing
 * one; a digest Slack gave up on (down for the notifier's ten minutes of retries) marks none, and the next
 * one (scheduled a day on, should no SEV-4 opening schedule one sooner) lists them. One still on its way after
 * `arrivalWaitMs` fails the deadline, which comes round again: its incidents are marked listed should it arrive
 * in between (sendUnlessMarked, under the digest's lock), or it would be posted twice. Its lock busy (that late
 * arrival being recorded, or another replica still at it after its lease) is no failure: the digest looks again
 * a minute on, logged at info, as the same digest (its time kept), posted then unless the other's arrived.
 * Returns how many it listed.
 */
export async function sendDigest(deps: EngineDeps, deadline: Deadline): Promise<number> {
  const channel = String(deadline.payload.channel);
  const digestAt = digestTimeOf(deadline);
  let listed = 0;
  await sendUnlessMarked(deps, {
    lock: `digest:${channel}:${digestAt}`,
    // Its mark is its incidents' listed keys: a digest whose incidents were all listed has none left to post.
    wasSent: async () => false,
    send: async () => {
      listed = await postDigest(deps, channel, digestAt);
    },
    // Sooner than the lock's lapse (`at`): a late arrival holds it for a moment only. Should the holder have
    // died, the look after finds it busy again, and moves on again until the lock lapses.
    lookAgainAt: async (at) => {
      const next = Math.min(at, deps.clock.now() + BUSY_LOOK_AGAIN_MS);
      await lookAgainLater(deps, deadline, digestAt, next);
      deps.logger.info(
        { channel, digestAt, lookAgainAt: next },
        `the digest for ${channel} is being sent or recorded elsewhere; looking again in a minute`,
      );
    },
  });
  return listed;
}

/** Posts the digest for `channel` of the incidents not listed yet, and marks them listed once it arrived. */
async function postDigest(deps: EngineDeps, channel: string, digestAt: number): Promise<number> {
  const candidates = (await deps.store.listIncidents({ limit: SCAN_LIMIT })).filter(
    (incident) =>
      incident.severity === 4 &&
      !incident.drill &&
      incident.openedAt <= digestAt &&
      incident.openedAt > digestAt - LOOKBACK_MS &&
      deps.runbooks.get(incident.model)?.channel === channel,
  );
  const fresh: Incident[] = [];
  for (const incident of candidates) {
    if ((await deps.store.getValue(listedKey(incident.id))) === undefined) fresh.push(incident);
  }
  if (fresh.length === 0) return 0;
  const digest = {
    type: 'channel.message' as const,
    channel,
    text: digestText(fresh),
    delivery: `digest:${channel}:${digestAt}`,
  };
  const markListed = async () => {
    for (const incident of fresh) await deps.store.setValue(listedKey(incident.id), '1', LOOKBACK_MS);
  };
  if (!(await deliverInTime(deps, digest, `the digest for ${channel}`, markListed)).arrived) {
    // Only a SEV-4 opening schedules a digest: without one since, "the next one" would never come and these
    // incidents would never be listed. The same time a day on (idempotent with one an opening scheduled then).
    await scheduleDigest(deps, channel, digestAt + DAY_MS);
    deps.logger.warn(
      { channel, incidents: fresh.map((incident) => incident.id) },
      'the daily digest did not reach Slack; its incidents go in the next one, a day on at the latest',
    );
    return 0;
  }
  await markListed();
  return fresh.length;
}

/**
 * The digest message: one line per incident, oldest first, with where it stands now (the first MAX_LINES that
 * fit in MESSAGE_CHARS; the rest counted). The summary is the alert's text: `oneLine` keeps it on its incident's
 * line, where a line break in it could start a bullet of its own.
 */
export function digestText(incidents: readonly Incident[]): string {
  const count = incidents.length === 1 ? '1 SEV-4 incident' : `${incidents.length} SEV-4 incidents`;
  const header = `Daily digest: ${count} (not paged)`;
  const lines: string[] = [];
  let used = shownLength(header);
  for (const incident of [...incidents].sort((a, b) => a.openedAt - b.openedAt)) {
    const line = `• ${incident.id} ${incident.model}: ${truncate(oneLine(incident.summary), SUMMARY_CHARS)} — ${incident.phase}`;
    const size = 1 + shownLength(line);
    if (lines.length === MAX_LINES || used + size > MESSAGE_CHARS) break;
    lines.push(line);
    used += size;
  }
  const rest = incidents.length - lines.length;
  if (rest > 0) lines.push(`+${rest} more: \`rollbot incidents\` or GET /api/incidents lists them`);
  return [header, ...lines].join('\n');
}

/**
 * How long `text` is once a chat client has escaped it for its markup: Slack writes `&` as `&amp;`, `<` and `>`
 * as `&lt;` and `&gt;`, and fits a message by those characters.
 */
function shownLength(text: string): number {
  let length = text.length;
  for (const char of text) {
    if (char === '&') length += 4;
    else if (char === '<' || char === '>') length += 3;
  }
  return length;
}
