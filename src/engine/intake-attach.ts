/**
 * Alerts joining an open incident (intake.ts): one compare-and-set that records them, their keys, their timeline
 * entries and any re-triage together.
 */
import { isOpen, type Incident } from '../core/incident.js';
import { attachAlerts, keepsEveryKey, type AlertJoin, type JoinedAlert } from '../core/incident-alerts.js';
import { formatSeverity } from '../core/severity.js';
import type { Runbook } from '../runbooks/schema.js';
import type { EngineDeps } from './context.js';
import { announceRaised } from './intake-announce.js';
import { readIncident, retryOnContention } from './mutate.js';
import type { TimelineEntry } from './ports.js';
import { nextTriageRun } from './triage.js';

/** What became of each alert an attach took: joined, or known to the incident already. */
export interface JoinOutcome {
  outcome: 'attached' | 'duplicate';
  incidentId: string;
}

/** Alerts joined to an incident in hand (core's attachAlerts), to be written. */
type Joined = NonNullable<ReturnType<typeof attachAlerts>>;

/** What an attach attempt returns when the incident is over, or a drill: the alerts must go elsewhere. */
const NOT_OPEN = 'not-open';

/**
 * Joins alerts to an open incident in one compare-and-set (re-read and re-applied if another writer won)
 * that also records them on its timeline. `current` is a copy of it in hand, if any, possibly out of date (the
 * store's seenOpenIncidentFor): the first attempt writes from it without reading anything, not even the keys
 * known beyond its refs, and only that write is trusted — the store refuses it if the copy is out of date or a key
 * is known, and anything else the copy says (a duplicate, over, a drill) may be out of date too; the same attempt
 * then reads and decides. Undefined when the incident is no longer open (resolved or dismissed since it was found):
 * a new alert must not join an incident that is over, where it would get no triage. Undefined too for a drill
 * (one that started on another replica as this one went to open an incident): a real alert ends the drill and
 * gets a real incident, which the caller's next round (rejoin) sees to.
 */
export async function attach(
  deps: EngineDeps,
  runbook: Runbook,
  incidentId: string,
  arrivals: readonly AlertJoin[],
  current?: Incident,
): Promise<JoinOutcome[] | undefined> {
  const keys = arrivals.map((arrival) => arrival.ref.key);
  /** The write of `change` to `latest`: undefined when refused. */
  const write = async (latest: Incident, change: Joined) => {
    // The incident, the alerts' keys, their timeline entries and (a new alert may change the picture) a
    // re-triage while nobody has decided yet are written in one step.
    const stored = await deps.store.updateIncident(
      { ...change.incident, version: latest.version },
      {
        // One firing again is known already (its key is stored): only new ones are added.
        alertKeys: change.attached.filter((joined) => !joined.again).map((joined) => joined.ref.key),
        timeline: attachedEntries(deps, incidentId, change.attached),
        deadlines: latest.phase === 'triage' ? [nextTriageRun(latest, runbook, deps.clock.now())] : [],
      },
    );
    return stored && { incident: stored, attached: change.attached, before: latest.severity };
  };
  const result = await retryOnContention(
    incidentId,
    async (n) => {
      if (n === 0 && current && isOpen(current) && !current.drill) {
        const change = attachAlerts(current, arrivals);
        const written = change && (await write(current, change));
        if (written) return written;
      }
      const latest = await readIncident(deps.store, incidentId);
      if (!isOpen(latest) || latest.drill) return NOT_OPEN;
      const known = keepsEveryKey(latest) ? undefined : await deps.store.knownAlertKeys(incidentId, keys);
      const change = attachAlerts(latest, arrivals, known);
      if (!change) return { incident: latest, attached: [], before: latest.severity };
      return write(latest, change);
    },
    deps.sleep,
  );
  if (result === NOT_OPEN) return undefined;
  const { incident, attached, before } = result;
  const outcomes: JoinOutcome[] = arrivals.map(() => ({ outcome: 'duplicate', incidentId }));
  for (const { index } of attached) outcomes[index] = { outcome: 'attached', incidentId };
  if (incident.severity < before) await announceRaised(deps, runbook, incident, before);
  return outcomes;
}

/**
 * The timeline entries that record alerts joining an incident in one write: one for those new to it and one for
 * those firing again after they resolved at the source, each naming every alert in its data. One entry per
 * delivery rather than per alert: a storm's incident took thousands of lines nobody reads, and their writing was
 * a third of the time a 50-alert delivery took (F25).
 */
function attachedEntries(
  deps: Pick<EngineDeps, 'clock'>,
  incidentId: string,
  attached: readonly JoinedAlert[],
): Omit<TimelineEntry, 'seq'>[] {
  const at = deps.clock.now();
  return [false, true].flatMap((again) => {
    const joined = attached.filter((alert) => alert.again === again);
    const last = joined.at(-1);
    if (!last) return [];
    return {
      incidentId,
      at,
      type: 'alert.attached',
      actor: 'rollbot',
      text: `${joinedText(joined, again)}; severity ${formatSeverity(last.severity)}`,
      data: {
        alerts: joined.map(({ ref }) => ({
          fingerprint: ref.fingerprint,
          source: ref.source,
          name: ref.name,
        })),
      },
    };
  });
}

/** What became of `joined`: a single alert named in full, several by their names and sources. */
function joinedText(joined: readonly JoinedAlert[], again: boolean): string {
  const [only] = joined;
  if (joined.length === 1 && only) {
    const what = again ? 'fired again after it resolved at the source' : 'joined the incident';
    return `alert ${only.ref.name} (${only.ref.source}, ${only.ref.fingerprint}) ${what}`;
  }
  const what = again ? 'fired again after they resolved at the source' : 'joined the incident';
  return `${joined.length} alerts ${what} ${alertsNamed(joined)}`;
}

/** How many alert names a grouped entry's text spells out; its data names every alert. */
const NAMES_IN_TEXT = 3;

/** `(A ×2, B, C and 4 more, from alertmanager)`: the alerts' names, each counted, and their sources. */
function alertsNamed(joined: readonly JoinedAlert[]): string {
  const counts = new Map<string, number>();
  for (const { ref } of joined) counts.set(ref.name, (counts.get(ref.name) ?? 0) + 1);
  const names = [...counts].map(([name, count]) => (count > 1 ? `${name} ×${count}` : name));
  const shown = names.slice(0, NAMES_IN_TEXT).join(', ');
  const more = names.length > NAMES_IN_TEXT ? ` and ${names.length - NAMES_IN_TEXT} more` : '';
  const sources = [...new Set(joined.map(({ ref }) => ref.source))].join(', ');
  return `(${shown}${more}, from ${sources})`;
}
