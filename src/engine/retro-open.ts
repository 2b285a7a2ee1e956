/**
 * Opening a retrospective: storing it, scheduling its reminders and posting its pre-filled template once, and the
 * stand-in deadline that opens it should its resolver die first.
 */
import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import type { Retrospective } from '../core/retro.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { notesOf } from './notes.js';
import { iso, requireIncident } from './retro-context.js';
import { trackOpenRetro } from './retro-queries.js';
import { scheduleReminders } from './retro-reminders.js';
import { updateRetrospective } from './retro-store.js';
import { retroTemplate } from './retro-template.js';
import { sendOnce } from './send-once.js';
import { standIn } from './stand-in.js';

/**
 * Deadline kind that follows a resolution up (engine/resolution-follow.ts: its record and notice, the cancelled
 * stage deadlines, the retrospective) when its resolver could not (it died, or the store failed, between the
 * resolution and what follows); payload `{incidentId}`.
 */
export const RETRO_OPEN = 'retro-open';

/** How long the resolver has to follow its resolution up itself, well beyond the seconds that takes. */
export const RETRO_OPEN_GRACE_MS = 60_000;
const retroOpenStandIn = standIn(RETRO_OPEN, 'retro-open');

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
    markTypes: ['retro.opened'],
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
  // Opened only after its due time (every replica down from the resolution on, the stand-in opening it days on):
  // overdue, and said so, rather than due "in -2h".
  const due =
    now < retro.dueAt
      ? `due ${iso(retro.dueAt)} (in ${formatDuration(retro.dueAt - now)})`
      : `OVERDUE by ${formatDuration(now - retro.dueAt)} (was due ${iso(retro.dueAt)})`;
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
