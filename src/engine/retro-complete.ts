/**
 * Completing a retrospective: what people wrote, checked and stored once; the incident closed (its retro stage
 * ended, and its missed target recorded when late); the reminders cancelled; the thread told.
 */
import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import { closeRetro, endDismissedRetro, recordBreach, type Incident } from '../core/incident.js';
import { parseActionItems, type Retrospective } from '../core/retro.js';
import { truncate } from '../core/text.js';
import { record, type EngineDeps } from './context.js';
import { stageTargetId } from './escalation.js';
import { mutateIncident } from './mutate.js';
import { iso, tell } from './retro-context.js';
import { openRetrospective } from './retro-open.js';
import { trackOpenItems, trackOpenRetro } from './retro-queries.js';
import { cancelReminders } from './retro-reminders.js';
import { getRetrospective, updateRetrospective } from './retro-store.js';
import { sendOnce } from './send-once.js';

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
  // Not a drill's: drills stay out of this counter, which has no drill label (escalation.ts).
  if (closed.changed && breached && !closed.incident.drill) {
    deps.metrics.targetBreached('retro', closed.incident.model);
  }
  await cancelReminders(deps, retro);
  await deps.store.cancel(stageTargetId(incidentId, 'retro')); // should one have been scheduled
  if (closed.changed)
    deps.metrics.stageCompleted('retro', closed.incident.drill, (completedAt - retro.openedAt) / 1000);
  // Recorded and told once, also by a completion that finds it done but not recorded (its completer failed or
  // died after storing it): the timeline is the record, and it must not lack the retrospective's end.
  await sendOnce(deps, incidentId, {
    lock: `retro-completed:${incidentId}`,
    markTypes: ['retro.completed'],
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
  // With the retrospective: its message in the thread, which still offers Complete retrospective, is redrawn.
  await tell(deps, incident, text, { retro });
  await record(deps, incident, {
    type: 'retro.completed',
    actor: by,
    text,
    data: { actionItems: retro.actionItems.length },
  });
}
