import type { EngineDeps } from './context.js';
import type { TimelineEntry } from './ports.js';

/**
 * The incident's timeline entries of `types`, in append order: what a check for one kind of entry reads, through
 * the store's index by type (Timeline.listOfTypes), rather than a storm incident's whole timeline of thousands of
 * `alert.attached` (~1.5 MB read and parsed on the event loop that acknowledges Slack).
 *
 * An incident stored by a build before that index (2026-12-04), or written to by one since during a rolling
 * upgrade, has some entries only on the timeline itself, and the store says it cannot answer: its whole timeline is
 * read then, and only then, so that a message sent before the upgrade is still found sent and not sent twice.
 */
export async function entriesOfTypes(
  deps: Pick<EngineDeps, 'store'>,
  incidentId: string,
  types: readonly string[],
): Promise<TimelineEntry[]> {
  const entries = (await deps.store.listOfTypes(incidentId, types)) ?? (await deps.store.list(incidentId));
  return entries.filter((entry) => types.includes(entry.type));
}
