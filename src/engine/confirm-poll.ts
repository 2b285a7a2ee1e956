import type { EngineDeps } from './context.js';

/** Deadline kind of an incident's next confirmation poll (confirm.ts); payload `{incidentId}`. */
export const CONFIRM_POLL = 'confirm-poll';

/** The one deadline of an incident's confirmation polls: scheduling it again moves it. */
export const confirmPollId = (incidentId: string): string => `${incidentId}:confirm-poll`;

/** The incident's next confirmation poll, at `dueAt`. */
export function scheduleConfirmPoll(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  dueAt: number,
): Promise<void> {
  return deps.store.schedule({
    id: confirmPollId(incidentId),
    kind: CONFIRM_POLL,
    dueAt,
    payload: { incidentId },
  });
}
