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
        timeline: change.attached.map((joined) => attachedEntry(deps, incidentId, joined)),
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

/** The timeline entry that records an alert joining an incident, or one of its alerts firing again. */
function attachedEntry(
  deps: Pick<EngineDeps, 'clock'>,
  incidentId: string,
  { ref, severity, again }: JoinedAlert,
): Omit<TimelineEntry, 'seq'> {
  const what = again ? 'fired again after it resolved at the source' : 'joined the incident';
  return {
    incidentId,
    at: deps.clock.now(),
    type: 'alert.attached',
    actor: 'rollbot',
    text: `alert ${ref.name} (${ref.source}, ${ref.fingerprint}) ${what}; severity ${formatSeverity(severity)}`,
    data: { fingerprint: ref.fingerprint, source: ref.source, name: ref.name },
  };
}
