import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import { truncate } from '../core/text.js';
import {
  closeRetro,
  endDismissedRetro,
  recordBreach,
  retroRunning,
  type Incident,
} from '../core/incident.js';
import { isOverdueKey, parseActionItems, reminderTimes, type Retrospective } from '../core/retro.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { stageTargetId } from './escalation.js';
import { mutateIncident } from './mutate.js';
import { trackOpenItems, trackOpenRetro } from './retro-queries.js';
import { notesOf } from './notes.js';
import { retroTemplate } from './retro-template.js';
import { sendOnce } from './send-once.js';
import { getRetrospective, updateRetrospective } from './retro-store.js';
import { standIn } from './stand-in.js';

export { getRetrospective } from './retro-store.js';
export { closeActionItem, openActionItems, retroCounts } from './retro-queries.js';

/** Deadline kind of a retrospective reminder; payload `{incidentId, key}`. */
export const RETRO_REMINDER = 'retro-reminder';

/**
 * Deadline kind that follows a resolution up (engine/resolution-follow.ts: its record and notice, the cancelled
 * stage deadlines, the retrospective) when its resolver could not (it died, or the store failed, between the
 * resolution and what follows); payload `{incidentId}`.
 */
export const RETRO_OPEN = 'retro-open';

/** How long the resolver has to follow its resolution up itself, well beyond the seconds that takes. */
export const RETRO_OPEN_GRACE_MS = 60_000;
const retroOpenStandIn = standIn(RETRO_OPEN, 'retro-open');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
const reminderId = (incidentId: string, key: string): string => `${incidentId}:retro:${key}`;

async function requireIncident(deps: Pick<EngineDeps, 'store'>, incidentId: string): Promise<Incident> {
  const incident = await deps.store.getIncident(incidentId);
  if (!incident)
    throw new RollbotError('NOT_FOUND', `no incident ${incidentId}`, {
      hint: 'list incidents with `/incident list` or `rollbot incidents`',
    });
  return incident;
}

/**
 * Resolved incidents get a retrospective; so does a drill whose rollback failed (the drill found a gap), and a
 * drill a person dismissed, which ended failed (drill.ts, endedByPerson): its scoring opens it.
 */
function wantsRetro(incident: Incident): boolean {
  if (incident.phase === 'resolved') return true;
  if (!incident.drill || incident.phase === 'closed') return false;
  if (incident.phase === 'dismissed') return incident.drillEnding !== undefined;
  return incident.rollback?.status === 'failed';
}

/** Tells the incident's thread; `mention`: whom it asks to act (the adapters mention them). */
async function tell(deps: EngineDeps, incident: Incident, text: string, mention?: string[]): Promise<void> {
  await deps.notifier.notify({
    type: 'incident.updated',
    incident,
    channel: runbookOf(deps, incident)?.channel ?? '',
    text,
    ...(mention ? { mention } : {}),
  });
}

/** (Re)schedules the reminders not sent yet. Scheduling is by deterministic ID, so doing it twice is harmless. */
async function scheduleReminders(deps: EngineDeps, retro: Retrospective): Promise<void> {
  if (retro.completedAt !== undefined) return;
  for (const { key, at } of reminderTimes(retro.openedAt, retro.dueAt)) {
    if (retro.remindersSent.includes(key)) continue;
    const payload = { incidentId: retro.incidentId, key };
    await deps.store.schedule({
      id: reminderId(retro.incidentId, key),
      kind: RETRO_REMINDER,
      dueAt: at,
      payload,
    });
  }
}

/**
 * Opens the retrospective of a resolved incident (or a failed drill): stores it, schedules its reminders, and
 * posts the template pre-filled from the incident, once (sendOnce: the `retro.opened` timeline entry, written
 * after the post, is its mark). Idempotent: a second call makes sure it is on its model's list of open
 * retrospectives, its reminders are scheduled and it was posted (repairing a crash or a store failure anywhere
 * after storing it, which would otherwise leave a retrospective nobody was told of) and reports `opened: false`.
 * `posting`: another caller holds the post's lock, and the retro-open deadline looks again once it lapses.
 */
export async function openRetrospective(
  deps: EngineDeps,
  incidentId: string,
): Promise<{ retro: Retrospective; opened: boolean; posting: boolean }> {
  const incident = await requireIncident(deps, incidentId);
  const now = deps.clock.now();
  const { retro, changed } = await updateRetrospective(deps, incidentId, (current) => {
    if (current) return undefined;
    if (!wantsRetro(incident)) {
      throw new RollbotError(
        'ILLEGAL_TRANSITION',
        `${incidentId} is ${incident.phase}: no retrospective yet`,
        {
          hint: 'a retrospective opens when the incident is resolved (or a drill fails)',
        },
      );
    }
    // The retro clock started at resolution (core/incident.resolve); a failed drill starts it now.
    const openedAt = incident.stages.retro.startedAt ?? now;
    const dueAt = openedAt + incident.targets.retro;
    return { incidentId, model: incident.model, openedAt, dueAt, actionItems: [], remindersSent: [] };
  });
  if (!retro) throw new RollbotError('NOT_FOUND', `no retrospective for ${incidentId}`);
  // On the model's list before anything else that may fail (and again on a second call, which repairs a crash
  // here): the gauges count it however many incidents follow.
  await trackOpenRetro(deps, retro);
  await scheduleReminders(deps, retro);
  const posted = await sendOnce(deps, incidentId, {
    lock: `retro-open:${incidentId}`,
    isMark: (entry) => entry.type === 'retro.opened',
    send: () => announceRetro(deps, incident, retro, now),
    lookAgainAt: (at) => scheduleRetroOpening(deps, incidentId, at),
  });
  return { retro, opened: changed && posted === 'sent', posting: posted === 'busy' };
}

/** Posts the opened retrospective, then records it: the record is the mark that it was posted. */
async function announceRetro(
  deps: EngineDeps,
  incident: Incident,
  retro: Retrospective,
  now: number,
): Promise<void> {
  const due = `due ${iso(retro.dueAt)} (in ${formatDuration(retro.dueAt - now)})`;
  const intro =
    `Blameless retrospective for ${incident.id} is open, ${due}. Fill in what rollbot cannot know (root cause, ` +
    `what went well or badly, action items); open action items block the next deployment of ${incident.model}.`;
  await deps.notifier.notify({
    type: 'retro.opened',
    incident,
    channel: runbookOf(deps, incident)?.channel ?? '',
    retro,
    text: `${intro}\n\n${retroTemplate(incident, now, await notesOf(deps, incident.id))}`,
  });
  await record(deps, incident, {
    type: 'retro.opened',
    text: `blameless retrospective opened; ${due}`,
    data: { dueAt: retro.dueAt },
  });
}

/**
 * Makes what follows a resolution about to be written durable: scheduled before it, the deadline follows the
 * resolution up within a minute (or at `dueAt`) should the resolver die before doing it.
 */
export async function scheduleRetroOpening(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incidentId: string,
  dueAt = deps.clock.now() + RETRO_OPEN_GRACE_MS,
): Promise<void> {
  await retroOpenStandIn.schedule(deps, incidentId, {}, dueAt);
}

/** The resolver opened the retrospective itself: its stand-in deadline is not needed. */
export async function retroOpened(deps: EngineDeps, incidentId: string): Promise<void> {
  await retroOpenStandIn.cancel(deps, incidentId);
}

function reminderText(retro: Retrospective, owner: string, now: number): string {
  const late = now - retro.dueAt;
  if (late < 0) {
    const left = late > -HOUR ? formatDuration(-late) : `${Math.round(-late / HOUR)}h`;
    return `${owner}: retrospective for ${retro.incidentId} (${retro.model}) due in ${left}, at ${iso(retro.dueAt)}`;
  }
  const by = late < 60_000 ? '' : ` by ${late >= DAY ? `${Math.floor(late / DAY)}d` : formatDuration(late)}`;
  return `${owner}: retrospective for ${retro.incidentId} (${retro.model}) is OVERDUE${by} (was due ${iso(retro.dueAt)})`;
}

/**
 * Handles one reminder deadline: notifies unless the retrospective is completed or this key was sent. The key is
 * claimed (stored in `remindersSent`) before notifying, so a redelivered deadline reminds at most once. A
 * reminder delivered when a later one is also due (the bot was down) is dropped: the latest one says it all.
 * It mentions the runbook's `retro.mention` people (its `escalation.mention` unless set): the owner's name alone
 * notifies nobody. Returns whether a reminder was sent.
 */
export async function handleRetroReminder(
  deps: EngineDeps,
  payload: { incidentId: string; key: string },
): Promise<boolean> {
  const now = deps.clock.now();
  const { retro, changed } = await updateRetrospective(deps, payload.incidentId, (current) =>
    current && current.completedAt === undefined && !current.remindersSent.includes(payload.key)
      ? { ...current, remindersSent: [...current.remindersSent, payload.key] }
      : undefined,
  );
  if (!retro || !changed) return false;
  // After an outage several reminders come due at once: only the latest is worth a message.
  const due = reminderTimes(retro.openedAt, retro.dueAt).filter((reminder) => reminder.at <= now);
  if (due.at(-1)?.key !== payload.key && due.some((reminder) => reminder.key === payload.key)) return false;
  const overdue = isOverdueKey(payload.key);
  const incident = await requireIncident(deps, payload.incidentId);
  if (overdue) {
    const breach = await mutateIncident(deps.store, incident.id, (current) =>
      retroRunning(current) ? recordBreach(current, 'retro', now) : undefined,
    );
    // As every stage's (escalation.ts): a drill's overdue retrospective is not production's, so not counted.
    if (breach.changed && !incident.drill) deps.metrics.targetBreached('retro', incident.model);
  }
  const runbook = runbookOf(deps, incident);
  const text = reminderText(retro, runbook?.owner ?? 'the model owner', now);
  const mention = runbook?.retro.mention ?? [];
  // The timeline is read as text (and exported as the retrospective's document): the IDs, not Slack markup.
  await record(deps, incident, {
    type: 'retro.reminder',
    text: mention.length ? `${text}; mentioning ${mention.join(', ')}` : text,
    data: { key: payload.key, mention },
  });
  await tell(deps, incident, text, mention);
  return true;
}

/** What people wrote in the retrospective form. */
export interface RetroInput {
  by: string;
  rootCause: string;
  wentWell?: string;
  wentBadly?: string;
  actionItemsText?: string;
}

/**
 * Completes a retrospective: validates (a root cause is required; malformed action items are refused with their
 * line number), stores it, closes the incident (retro stage ends), cancels the reminders, and tells and records it.
 * A second completion repairs what a crash or a store failure may have left undone (incident still resolved,
 * reminders pending, the completion not recorded) and is then refused with CONFLICT naming who completed it.
 */
export async function completeRetrospective(
  deps: EngineDeps,
  incidentId: string,
  input: RetroInput,
): Promise<Retrospective> {
  const rootCause = input.rootCause.trim();
  if (!rootCause)
    throw new RollbotError('BAD_REQUEST', 'a retrospective needs a root cause', {
      hint: 'say what caused it; "unknown yet: <what we checked>" is an answer',
    });
  const now = deps.clock.now();
  const actionItems = parseActionItems(input.actionItemsText ?? '', now);
  if (!(await getRetrospective(deps, incidentId))) await openRetrospective(deps, incidentId);
  const optional = (name: 'wentWell' | 'wentBadly') =>
    input[name]?.trim() ? { [name]: input[name].trim() } : {};
  let earlier: Retrospective | undefined;
  const { retro, changed } = await updateRetrospective(deps, incidentId, (current) => {
    if (current?.completedAt !== undefined) earlier = current;
    if (!current || earlier) return undefined;
    return {
      ...current,
      completedAt: now,
      completedBy: input.by,
      rootCause,
      ...optional('wentWell'),
      ...optional('wentBadly'),
      actionItems,
    };
  });
  if (!retro || retro.completedAt === undefined)
    throw new RollbotError('NOT_FOUND', `no retrospective for ${incidentId}`);
  // Before anything else that may fail: its action items must close the gate however many incidents follow, and
  // it no longer counts as open.
  await trackOpenItems(deps, retro);
  await trackOpenRetro(deps, retro);
  const completedAt = retro.completedAt;
  // Completed past its due time, it missed its target whether or not an overdue reminder came round first (the
  // poller behind, the bot down at the due time): the breach is written with the end, so it is counted once.
  let breached = false;
  const closed = await mutateIncident(deps.store, incidentId, (current) => {
    const ended =
      current.phase === 'resolved'
        ? closeRetro(current, completedAt)
        : endDismissedRetro(current, completedAt);
    const marked = ended && isLate(retro) ? recordBreach(ended, 'retro', completedAt) : undefined;
    breached = marked !== undefined;
    return marked ?? ended;
  });
  if (closed.changed && breached) deps.metrics.targetBreached('retro', closed.incident.model);
  for (const { key } of reminderTimes(retro.openedAt, retro.dueAt))
    await deps.store.cancel(reminderId(incidentId, key));
  await deps.store.cancel(stageTargetId(incidentId, 'retro')); // should one have been scheduled
  if (closed.changed)
    deps.metrics.stageCompleted('retro', closed.incident.drill, (completedAt - retro.openedAt) / 1000);
  // Recorded and told once, also by a completion that finds it done but not recorded (its completer failed or
  // died after storing it): the timeline is the record, and it must not lack the retrospective's end.
  await sendOnce(deps, incidentId, {
    lock: `retro-completed:${incidentId}`,
    isMark: (entry) => entry.type === 'retro.completed',
    send: () => announceCompletion(deps, closed.incident, retro),
    lookAgainAt: async () => undefined, // the completer holding the lock is at it; a crash there, see above
  });
  if (earlier || !changed) {
    throw new RollbotError(
      'CONFLICT',
      `the retrospective of ${incidentId} was completed already by ${retro.completedBy ?? 'someone'} at ${iso(completedAt)}`,
      {
        hint: 'close its action items one by one instead',
      },
    );
  }
  return retro;
}

/** Completed at or after its due time: its target was missed (at exactly the due time it is overdue). */
function isLate(retro: Retrospective): boolean {
  return retro.completedAt !== undefined && retro.completedAt >= retro.dueAt;
}

/**
 * Tells the thread the retrospective is done, then records it (the mark that it was told): from the stored
 * retrospective, so that a completion repairing another's says what that one wrote.
 */
async function announceCompletion(deps: EngineDeps, incident: Incident, retro: Retrospective): Promise<void> {
  const by = retro.completedBy ?? 'someone';
  const items = retro.actionItems.length
    ? `${retro.actionItems.length} action item(s) now block the next deployment of ${retro.model} until closed`
    : 'no action items';
  const late = isLate(retro)
    ? `, ${formatDuration((retro.completedAt ?? 0) - retro.dueAt)} after its due time`
    : '';
  const text = `retrospective completed by ${by}${late}: ${truncate(retro.rootCause ?? '', 300)}; ${items}`;
  await tell(deps, incident, text);
  await record(deps, incident, {
    type: 'retro.completed',
    actor: by,
    text,
    data: { actionItems: retro.actionItems.length },
  });
}
