import { formatDuration } from '../core/duration.js';
import type { Incident } from '../core/incident.js';
import { describeWarnings, isPartial } from '../core/partial.js';
import { confirmPollId } from './confirm-poll.js';
import { record, runbookOf, type EngineDeps } from './context.js';
import { stageTargetId } from './escalation.js';
import { openRetrospective, RETRO_OPEN_GRACE_MS, retroOpened, scheduleRetroOpening } from './retro.js';
import { sendOnce } from './send-once.js';

/**
 * What follows a resolution, each part once, by the resolver or, should it die after writing the resolution, by
 * the retro-open deadline scheduled before it: the stage deadlines and confirmation polls are cancelled, the
 * resolution is announced then recorded (`incident.resolved`, its mark), and a real incident's retrospective is
 * opened. Resolves to whether it is all done; false when another replica is announcing it (the deadline looks
 * again once that one's lock has lapsed). Nothing for an incident that was never resolved.
 */
export async function followResolution(deps: EngineDeps, incidentId: string): Promise<boolean> {
  const incident = await deps.store.getIncident(incidentId);
  if (incident?.resolvedAt === undefined) return true;
  for (const stage of ['triage', 'rollback', 'confirm'] as const)
    await deps.store.cancel(stageTargetId(incidentId, stage));
  await deps.store.cancel(confirmPollId(incidentId));
  // Resolved before who and why were stored: its resolver announced it (nothing to say it with otherwise).
  if (incident.resolution) {
    const announced = await sendOnce(deps, incidentId, {
      lock: `resolution:${incidentId}`,
      markTypes: ['incident.resolved'],
      send: () => announce(deps, incident),
      lookAgainAt: (at) => scheduleRetroOpening(deps, incidentId, at),
    });
    if (announced === 'busy') return false;
  }
  // Every real incident gets its retrospective at once; drills get one only when they fail (drill.ts).
  if (!incident.drill && incident.phase === 'resolved') {
    // Posted by another replica right now: this deadline stays, moved to when that one's lock lapses.
    const { posting } = await openRetrospective(deps, incidentId);
    if (posting) return false;
  }
  return true;
}

/**
 * Follows the resolution as `followResolution` does, then drops the retro-open deadline it no longer needs. A
 * failure is logged, never a failed resolution (the incident is resolved): the retro-open deadline tries again.
 */
export async function followResolutionSafely(deps: EngineDeps, incidentId: string): Promise<void> {
  try {
    if (await followResolution(deps, incidentId)) await retroOpened(deps, incidentId);
  } catch (error) {
    deps.logger.error(
      { err: error, incident: incidentId },
      `cannot follow up the resolution now; the retro-open deadline tries again within ${formatDuration(RETRO_OPEN_GRACE_MS)}`,
    );
  }
}

async function announce(deps: EngineDeps, incident: Incident): Promise<void> {
  const { resolution, impact, resolvedAt } = incident;
  if (!resolution || resolvedAt === undefined) return;
  const took = formatDuration(resolvedAt - incident.openedAt);
  const partial =
    impact && isPartial(impact) ? ` (partial answer ${describeWarnings(impact.warnings ?? [])})` : '';
  const cost =
    impact?.excessFailedRequests !== undefined
      ? `; about ${impact.excessFailedRequests} excess failed requests${partial}`
      : '';
  const text = `resolved by ${resolution.by} after ${took}: ${resolution.reason}${cost}`;
  const channel = runbookOf(deps, incident)?.channel ?? '';
  await deps.notifier.notify({ type: 'incident.updated', incident, channel, text });
  await record(deps, incident, {
    type: 'incident.resolved',
    actor: resolution.by,
    text,
    ...(impact ? { data: { impact } } : {}),
  });
}
