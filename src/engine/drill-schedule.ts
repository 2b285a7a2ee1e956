import { DRILL_LATE_TOLERANCE_MS, DRILL_OVERDUE_MS } from '../core/drill-cadence.js';
import { formatDuration } from '../core/duration.js';
import { isRollbotError } from '../core/errors.js';
import { oneLine } from '../core/text.js';
import type { Runbook } from '../runbooks/schema.js';
import { localTime } from '../scheduling/wall-clock.js';
import type { EngineDeps } from './context.js';
import { drillTarget } from './drill.js';
import { drillGateClosing, drillOverdue, notePlanned } from './drill-overdue.js';
import { gateOverride } from './gate.js';
import { noteSkipped } from './drill-skips.js';
import { startDrill } from './drill-start.js';
import { endLapsedWait } from './drill-undecided.js';
import type { Deadline } from './ports.js';

export const DRILL_RUN = 'drill-run';
export const DRILL_REMIND = 'drill-remind';

/**
 * Schedules one drill occurrence and its reminders (`drill.remind` before it) as durable deadlines. Each carries
 * the schedule it was planned on (see onSchedule).
 */
export async function scheduleDrillOccurrence(deps: EngineDeps, runbook: Runbook, at: number): Promise<void> {
  if (!runbook.drill) return;
  const model = runbook.model;
  const { schedule, timezone } = runbook.drill;
  await notePlanned(deps, model);
  await deps.store.schedule({
    id: `drill:${model}:${at}`,
    kind: DRILL_RUN,
    dueAt: at,
    payload: { model, at, schedule, timezone },
  });
  for (const before of runbook.drill.remind) {
    if (at - before <= deps.clock.now()) continue;
    await deps.store.schedule({
      id: `drill-remind:${model}:${at}:${before}`,
      kind: DRILL_REMIND,
      dueAt: at - before,
      payload: { model, at, before, schedule, timezone },
    });
  }
}

/**
 * The runbook of a drill occurrence or reminder, if the occurrence is still on its drill schedule. The planner puts
 * the next occurrence in the store days (a quarter) ahead; should the runbook's `drill.schedule` or
 * `drill.timezone` change meanwhile, the planner adds the new next occurrence, and the one planned on the old
 * schedule must not run too — twice that day, or at 05:00 of the new time zone. An occurrence planned before
 * occurrences carried their schedule is taken as on it.
 */
function onSchedule(deps: EngineDeps, deadline: Deadline): Runbook | undefined {
  const runbook = deps.runbooks.get(String(deadline.payload.model));
  if (!runbook?.drill) return undefined;
  const { schedule, timezone } = deadline.payload;
  if (schedule === undefined) return runbook;
  if (schedule === runbook.drill.schedule && timezone === runbook.drill.timezone) return runbook;
  deps.logger.info(
    { model: runbook.model, at: new Date(Number(deadline.payload.at)).toISOString(), schedule, timezone },
    'drill occurrence planned on an earlier drill schedule; skipped (the current schedule has its own)',
  );
  return undefined;
}

/**
 * How long an occurrence is remembered as started: the planner on another replica may put a past occurrence
 * back in the store (it read "next" just before the occurrence came due), and it must not run twice.
 */
const OCCURRENCE_TTL_MS = 7 * 86_400_000;

/**
 * A drill occurrence came due: start it, once per occurrence across replicas; a person decides as for real. One
 * delivered past DRILL_LATE_TOLERANCE_MS after its time (every replica was down) is skipped instead (skipMissed).
 * Once is the deadline's claim (one replica at a time) and createIfNoneOpen (one drill per model). The
 * occurrence notes its drill's ID just before the drill is stored, and counts as started once that drill
 * exists: a delivery that failed before (a crash, a store error) is retried by the next delivery of the deadline
 * instead of skipping the drill, and one that died after leaves the drill to its opening's stand-in
 * (drill-opening.ts) instead of starting another.
 */
export async function runScheduledDrill(deps: EngineDeps, deadline: Deadline): Promise<void> {
  const model = String(deadline.payload.model);
  const at = Number(deadline.payload.at);
  const started = `drill-occurrence:${model}:${at}`;
  const drillId = await deps.store.getValue(started);
  if (drillId === SKIPPED) return;
  if (drillId !== undefined && (await deps.store.getIncident(drillId))) return;
  const runbook = onSchedule(deps, deadline);
  if (!runbook) return;
  if (deps.clock.now() - at > DRILL_LATE_TOLERANCE_MS) {
    await skipMissed(deps, runbook, at, started);
    return;
  }
  // The drill of the day before, nobody having decided it, ends at this instant (a daily schedule): first, not after.
  await endLapsedWait(deps, model);
  try {
    await startDrill(deps, model, {
      by: 'schedule',
      auto: false,
      beforeStored: (id) => deps.store.setValue(started, id, OCCURRENCE_TTL_MS),
    });
  } catch (error) {
    if (!isRollbotError(error)) throw error;
    await skipRefused(deps, runbook, oneLine(error.message), at, started);
  }
}

/**
 * An occurrence refused (the model has a real incident open, or a drill): not started, and not tried again, so
 * the rehearsal is lost until the next occurrence. Said in the channel, with what that means for the deployment
 * gate and when to rehearse by hand, logged, and shown in the drill list (drill-skips.ts). A plain channel message
 * keeps its line breaks: the refusal, which may quote outside text, comes on one line. Remembered as skipped, as a
 * missed one is: the planner of another replica may put the occurrence back once it was handled, and its second
 * delivery must neither say the skip again nor start, the incident over, the drill the channel was told was
 * skipped.
 */
async function skipRefused(
  deps: EngineDeps,
  runbook: Runbook,
  refusal: string,
  at: number,
  started: string,
): Promise<void> {
  const model = runbook.model;
  const open = await deps.store.openIncidentFor(model);
  const gate = await gateAfterSkip(deps, runbook, open?.id);
  deps.logger.warn({ model, ...gate.log }, `scheduled drill refused; skipped: ${refusal}${gate.logText}`);
  await deps.notifier.notify({
    type: 'channel.message',
    channel: runbook.channel,
    text: `Scheduled drill of ${model} skipped: ${refusal}. ${gate.text}. The next scheduled drill is unchanged`,
  });
  await noteSkipped(deps, model, { at, reason: refusal });
  await deps.store.setValue(started, SKIPPED, OCCURRENCE_TTL_MS);
}

/** What a skipped occurrence (missed, or refused) is remembered as, in place of its drill's ID. */
const SKIPPED = 'skipped';

/**
 * An occurrence delivered more than DRILL_LATE_TOLERANCE_MS after its time (every replica down over it): not
 * started, logged, said in the channel with how to rehearse now and shown in the drill list; remembered as
 * skipped so that it is said once. The next occurrence is planned as ever. The rehearsal it skipped may have been
 * the one that kept the deployment gate open: the note and the log say whether the gate is closed for an overdue
 * drill now, held open by an approver's override until it ends, or on which day it closes, and that a drill
 * passed by hand opens it (gate.ts).
 */
async function skipMissed(deps: EngineDeps, runbook: Runbook, at: number, started: string): Promise<void> {
  const model = runbook.model;
  const late = deps.clock.now() - at;
  const gate = await gateAfterSkip(deps, runbook);
  deps.logger.warn(
    { model, at: new Date(at).toISOString(), lateMs: late, ...gate.log },
    `drill occurrence missed while rollbot was down; skipped (too late to start)${gate.logText}`,
  );
  await deps.notifier.notify({
    type: 'channel.message',
    channel: runbook.channel,
    text: `Scheduled drill of ${model} skipped: it was due at ${new Date(at).toISOString()} while rollbot was down, and is not started ${formatDuration(late)} late (more than ${formatDuration(DRILL_LATE_TOLERANCE_MS)}): nobody would be there to decide. ${gate.text}. The next scheduled drill is unchanged`,
  });
  const reason = `due while rollbot was down; not started ${formatDuration(late)} late (more than ${formatDuration(DRILL_LATE_TOLERANCE_MS)})`;
  await noteSkipped(deps, model, { at, reason });
  await deps.store.setValue(started, SKIPPED, OCCURRENCE_TTL_MS);
}

/**
 * What a skipped occurrence means for the model's deployment gate, in the channel's words and the log's, and how
 * to rehearse by hand: now, or once the model's open incident (`open`) is over. Closed for an overdue drill, held
 * open by an approver's override until it ends (the open incident closes it meanwhile: never overridden), or
 * closing on the day the drill comes due.
 */
async function gateAfterSkip(
  deps: EngineDeps,
  runbook: Runbook,
  open?: string,
): Promise<{ text: string; logText: string; log: Record<string, string> }> {
  const model = runbook.model;
  const how = `/drill run ${model} (or rollbot drill run ${model})`;
  const when = open ? `once ${open} is over` : 'now';
  const overdue = await drillOverdue(deps, runbook);
  const closing = await drillGateClosing(deps, runbook);
  const override = await gateOverride(deps, model);
  // An approver's override waives an overdue drill until it ends (gate.ts): the gate closes then, not before.
  if (closing && override && override.until > closing.at) {
    const until = new Date(override.until).toISOString();
    const by = `the override of ${override.by} until ${until}`;
    const after = closing.from === 'planned' ? 'its drills were planned' : 'its last successful drill';
    const why = overdue
      ? `despite an overdue drill: ${overdue}`
      : `past the day its drill comes due (${new Date(closing.at).toISOString()}, ${formatDuration(DRILL_OVERDUE_MS)} after ${after})`;
    return {
      text: `The deployment gate of ${model} ${open ? `is closed while ${open} is open, then held open` : 'is held open'} by ${by}, ${why}. It closes then unless a drill passes: ${overdue ? 'run one' : 'rehearse'} ${when} with ${how}`,
      logText: `; the deployment gate is held open by ${by}, and closes then unless a drill passes`,
      log: { gate: 'held open', gateOverriddenBy: override.by, gateClosesAt: until },
    };
  }
  if (overdue) {
    return {
      text: `The deployment gate of ${model} is closed: ${overdue}. A passed drill opens it: run one ${when} with ${how}`,
      logText: '; the deployment gate is closed (overdue drill) until a drill passes',
      log: { gate: 'closed' },
    };
  }
  if (!closing) return { text: `Rehearse ${when} with ${how}`, logText: '', log: {} };
  const on = new Date(closing.at).toISOString();
  const after = closing.from === 'planned' ? 'its drills were planned' : 'its last successful drill';
  return {
    text: `The deployment gate of ${model} closes on ${on}, ${formatDuration(DRILL_OVERDUE_MS)} after ${after}, unless a drill passes before then: rehearse ${when} with ${how}`,
    logText: `; the deployment gate closes at ${on} unless a drill passes before then`,
    log: { gateClosesAt: on },
  };
}

/**
 * "Rollback drill of fraud-scorer in 7d (2027-01-15 10:00 Europe/Dublin, 2027-01-15T10:00:00.000Z): target …; on
 * point: …". A reminder delivered once its drill is due (every replica down over both) announces nothing to
 * prepare for — "in -2h" — and is dropped: the drill's own message says it started.
 */
export async function remindDrill(deps: EngineDeps, deadline: Deadline): Promise<void> {
  const runbook = onSchedule(deps, deadline);
  if (!runbook?.drill) return;
  const at = Number(deadline.payload.at);
  if (at <= deps.clock.now()) {
    deps.logger.info(
      { model: runbook.model, at: new Date(at).toISOString() },
      'drill reminder delivered after its drill was due; not sent',
    );
    return;
  }
  const { approvers } = runbook.rollback;
  const who = approvers.length ? approvers.join(', ') : runbook.owner;
  // Local time first: the team reads its own clock, and "15:00Z, America/New_York" passed for 3 pm in New York.
  const when = `${localTime(at, runbook.drill.timezone)}, ${new Date(at).toISOString()}`;
  const text = `Rollback drill of ${runbook.model} in ${formatDuration(at - deps.clock.now())} (${when}): target ${drillTarget(runbook)}; on point: ${who}`;
  await deps.notifier.notify({
    type: 'channel.message',
    channel: runbook.channel,
    text,
    // Notified, not only named: the reminder is for them to prepare.
    ...(approvers.length ? { mention: approvers } : {}),
  });
}
