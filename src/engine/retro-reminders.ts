/**
 * A retrospective's reminders: scheduled when it opens, each sent once when it comes due (the overdue ones record
 * the retro stage's missed target), cancelled when it is completed.
 */
import { formatDuration } from '../core/duration.js';
import { recordBreach, retroRunning } from '../core/incident.js';
import { isOverdueKey, reminderTimes, type Retrospective } from '../core/retro.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { mutateIncident } from './mutate.js';
import { iso, requireIncident, tell } from './retro-context.js';
import { updateRetrospective } from './retro-store.js';

/** Deadline kind of a retrospective reminder; payload `{incidentId, key}`. */
export const RETRO_REMINDER = 'retro-reminder';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const reminderId = (incidentId: string, key: string): string => `${incidentId}:retro:${key}`;

/** (Re)schedules the reminders not sent yet. Scheduling is by deterministic ID, so doing it twice is harmless. */
export async function scheduleReminders(deps: EngineDeps, retro: Retrospective): Promise<void> {
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

/** Cancels a retrospective's reminders, sent or not: it is completed. */
export async function cancelReminders(deps: Pick<EngineDeps, 'store'>, retro: Retrospective): Promise<void> {
  for (const { key } of reminderTimes(retro.openedAt, retro.dueAt))
    await deps.store.cancel(reminderId(retro.incidentId, key));
}

/**
 * "@fraud-ml: retrospective for INC-7 (fraud-scorer) due in 24h, …": "for the drill INC-7" for a failed drill's, as
 * the people it mentions are notified with this text, not the thread's DRILL header.
 */
function reminderText(retro: Retrospective, drill: boolean, owner: string, now: number): string {
  const late = now - retro.dueAt;
  const of = `${drill ? 'the drill ' : ''}${retro.incidentId} (${retro.model})`;
  if (late < 0) {
    const left = late > -HOUR ? formatDuration(-late) : `${Math.round(-late / HOUR)}h`;
    return `${owner}: retrospective for ${of} due in ${left}, at ${iso(retro.dueAt)}`;
  }
  const by = late < 60_000 ? '' : ` by ${late >= DAY ? `${Math.floor(late / DAY)}d` : formatDuration(late)}`;
  return `${owner}: retrospective for ${of} is OVERDUE${by} (was due ${iso(retro.dueAt)})`;
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
  const text = reminderText(retro, incident.drill, runbook?.owner ?? 'the model owner', now);
  const mention = runbook?.retro.mention ?? [];
  // The timeline is read as text (and exported as the retrospective's document): the IDs, not Slack markup.
  await record(deps, incident, {
    type: 'retro.reminder',
    text: mention.length ? `${text}; mentioning ${mention.join(', ')}` : text,
    data: { key: payload.key, mention },
  });
  await tell(deps, incident, text, { mention });
  return true;
}
