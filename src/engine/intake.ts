import { RollbotError } from '../core/errors.js';
import { openIncident, type Incident } from '../core/incident.js';
import { skipStages } from '../core/incident-stages.js';
import { alertKey, type AlertRef } from '../core/alert-ref.js';
import type { AlertJoin } from '../core/incident-alerts.js';
import { webUrl } from '../core/links.js';
import { severityOf } from '../core/severity.js';
import type { NormalizedAlert } from '../alerts/types.js';
import type { Runbook } from '../runbooks/schema.js';
import type { EngineDeps } from './context.js';
import { announceOpened } from './intake-announce.js';
import { attach } from './intake-attach.js';
import { noteResolved } from './intake-resolved.js';
import { finishDrill } from './drill.js';
import { alertsOf, earlierOf, recentIncidents } from './intake-earlier.js';
import { dropOpening, scheduleOpening } from './opening.js';
import { currentWatch } from './watch.js';

export type AlertOutcome = 'opened' | 'attached' | 'duplicate' | 'resolved' | 'ignored' | 'unrouted';

export interface AlertResult {
  fingerprint: string;
  outcome: AlertOutcome;
  model?: string;
  incidentId?: string;
}

type Outcome = Pick<AlertResult, 'outcome' | 'incidentId'>;

/** A firing alert on its way into an incident. */
interface Arrival extends AlertJoin {
  alert: NormalizedAlert;
}

/**
 * Routes each alert to its model's runbook and opens, joins or annotates that model's incident. Safe to call
 * concurrently on several replicas with the same alerts: one incident per model, each alert recorded once.
 * The alerts of one model join its incident in one write (an Alertmanager group is one model); models are
 * handled side by side. Results come back in the order of `alerts`. When a write keeps losing to other
 * writers the call fails with UNAVAILABLE after every model has finished: what was stored stays stored and a
 * re-sent request finds it (duplicates), so an alert is recorded at most once and never lost.
 */
export async function ingestAlerts(
  deps: EngineDeps,
  alerts: readonly NormalizedAlert[],
): Promise<AlertResult[]> {
  const results: (AlertResult | undefined)[] = alerts.map(() => undefined);
  const byModel = new Map<string, { runbook: Runbook; indexes: number[] }>();
  alerts.forEach((alert, index) => {
    const runbook = deps.runbooks.route(alert.labels);
    if (runbook) {
      const group = byModel.get(runbook.model) ?? { runbook, indexes: [] };
      group.indexes.push(index);
      byModel.set(runbook.model, group);
      return;
    }
    deps.logger.info({ fingerprint: alert.fingerprint, labels: alert.labels }, 'alert matches no runbook');
    results[index] = { fingerprint: alert.fingerprint, outcome: 'unrouted' };
    deps.metrics.alertReceived(alert.source, 'unrouted');
  });
  const settled = await Promise.allSettled(
    [...byModel.values()].map(async ({ runbook, indexes }) => {
      const group = indexes.map((index) => alerts[index] as NormalizedAlert);
      const outcomes = await ingestForModel(deps, runbook, group);
      outcomes.forEach((outcome, i) => {
        const index = indexes[i] as number;
        const alert = group[i] as NormalizedAlert;
        results[index] = { fingerprint: alert.fingerprint, model: runbook.model, ...outcome };
        deps.metrics.alertReceived(alert.source, outcome.outcome);
      });
    }),
  );
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return results.filter((result) => result !== undefined);
}

/** One model's alerts: the firing ones open or join its incident together, then its resolutions together. */
async function ingestForModel(
  deps: EngineDeps,
  runbook: Runbook,
  alerts: readonly NormalizedAlert[],
): Promise<Outcome[]> {
  const outcomes: Outcome[] = alerts.map(() => ({ outcome: 'ignored' }));
  const receivedAt = deps.clock.now();
  const firing: Arrival[] = [];
  const firingAt: number[] = [];
  alerts.forEach((alert, index) => {
    if (alert.status === 'resolved') return;
    firing.push({
      alert,
      ref: alertRef(alert, receivedAt),
      severity: alert.declaredSeverity ?? severityOf(alert.labels, runbook.severity, alert.severity),
    });
    firingAt.push(index);
  });
  if (firing.length) {
    const joined = await openOrAttach(deps, runbook, firing);
    joined.forEach((outcome, i) => (outcomes[firingAt[i] as number] = outcome));
  }
  const resolvedAt = alerts.flatMap((alert, index) => (alert.status === 'resolved' ? [index] : []));
  const resolved = resolvedAt.map((index) => alerts[index] as NormalizedAlert);
  const noted = await noteResolved(deps, runbook, resolved);
  noted.forEach((outcome, i) => (outcomes[resolvedAt[i] as number] = outcome));
  return outcomes;
}

/** The alert's own link (the rule's graph), when it is one people can follow. */
function withSourceUrl(alert: NormalizedAlert): { sourceUrl?: string } {
  const url = webUrl(alert.generatorURL);
  return url === undefined ? {} : { sourceUrl: url };
}

function alertRef(alert: NormalizedAlert, receivedAt: number): AlertRef {
  const startsAt = alert.startsAt ?? receivedAt;
  return {
    key: alertKey(alert.source, alert.fingerprint, alert.startsAt),
    source: alert.source,
    fingerprint: alert.fingerprint,
    name: alert.name,
    startsAt,
    receivedAt,
  };
}

/**
 * Why the detection of an incident this alert opens cannot be measured, or undefined when it can: a person declared
 * it (declare.ts), or its source gave no start time. Either way when the degradation began is unknown, and a
 * detection of 0 s "met" would pass for the fastest of the quarter.
 */
function unmeasuredDetection(alert: NormalizedAlert): string | undefined {
  if (alert.declaredSeverity !== undefined) return `${alert.name}, so when it began is unknown`;
  if (alert.startsAt === undefined) return `${alert.name} gave no start time, so when it began is unknown`;
  return undefined;
}

/**
 * How many times a batch goes back to find or open the model's incident after the incident it was joining
 * stopped being open under it (resolved or dismissed on another replica). Each round needs another incident to
 * close within moments of being found, so running out means something is wrong: the caller gets UNAVAILABLE.
 */
const REJOIN_ROUNDS = 3;

async function openOrAttach(
  deps: EngineDeps,
  runbook: Runbook,
  arrivals: Arrival[],
  round = 1,
): Promise<Outcome[]> {
  // The first round joins the incident as this replica last wrote it, unread: attach trusts only a write from it,
  // which the store refuses if another replica changed or closed it since. Later rounds, and a drill's ending, read.
  let open =
    round === 1
      ? await deps.store.seenOpenIncidentFor(runbook.model)
      : await deps.store.openIncidentFor(runbook.model);
  if (open?.drill && round === 1) open = await deps.store.openIncidentFor(runbook.model);
  if (open?.drill) {
    // Reality wins over rehearsal: the drill ends (failed, interrupted) and the alert gets a real incident.
    await finishDrill(deps, open.id, {
      succeeded: false,
      problem: `interrupted by a real alert (${arrivals[0]?.alert.name ?? 'unknown'})`,
    });
    open = await deps.store.openIncidentFor(runbook.model);
  }
  if (open) return attachToOpen(deps, runbook, open, arrivals, round);

  // A repeat notification of an alert whose incident is already over must not open a new one.
  const recent = await recentIncidents(deps, runbook.model);
  const earlier = await alertsOf(deps, recent, arrivals);
  const outcomes: Outcome[] = arrivals.map((arrival) => {
    const incidentId = earlier.get(arrival.ref.key);
    return incidentId === undefined ? { outcome: 'opened' } : { outcome: 'duplicate', incidentId };
  });
  const fresh = arrivals.flatMap((arrival, index) =>
    earlier.has(arrival.ref.key) ? [] : [{ arrival, index }],
  );
  const first = fresh[0];
  if (!first) return outcomes;

  const opened = openIncident({
    id: await deps.store.nextIncidentId(),
    model: runbook.model,
    severity: first.arrival.severity,
    drill: false,
    summary: first.arrival.alert.summary,
    labels: first.arrival.alert.labels,
    targets: runbook.targets,
    alert: first.arrival.ref,
    ...withSourceUrl(first.arrival.alert),
  });
  const unmeasured = unmeasuredDetection(first.arrival.alert);
  const candidate = unmeasured === undefined ? opened : skipStages(opened, ['detect'], unmeasured);
  const watch = await currentWatch(deps, runbook);
  if (watch) candidate.watch = watch;
  // So that a re-send with one of their alerts still firing needs no read of them unless they exist.
  candidate.earlier = recent.map((incident) => incident.id);
  // Its deadlines go in before the incident, so that a crash at any point after leaves them to finish the
  // opening; a deadline without an incident is a no-op when it fires.
  await scheduleOpening(deps, candidate, 'alert');
  const { incident, created } = await deps.store.createIfNoneOpen(candidate);
  let joining = fresh;
  if (created) {
    await announceOpened(deps, runbook, incident);
    outcomes[first.index] = { outcome: 'opened', incidentId: incident.id };
    joining = fresh.slice(1);
  } else {
    await dropOpening(deps, candidate);
  }
  if (joining.length) {
    const arriving = joining.map(({ arrival }) => arrival);
    // After announceOpened (which may have escalated) the copy in hand can be stale: read afresh then.
    const joined =
      (await attach(deps, runbook, incident.id, arriving, created ? undefined : incident)) ??
      (await rejoin(deps, runbook, arriving, round));
    joined.forEach((outcome, i) => (outcomes[joining[i]?.index as number] = outcome));
  }
  return outcomes;
}

/**
 * Joins alerts to the model's open incident, except those that belong to an incident already over:
 * Alertmanager re-sends a whole group every group_interval, so an alert of the previous episode that still
 * fires comes back with each notification about a new one. It is that earlier incident's duplicate, as on
 * the first delivery (which opened this incident without it); joining here would record it twice, and could
 * raise and page this one.
 */
async function attachToOpen(
  deps: EngineDeps,
  runbook: Runbook,
  open: Incident,
  arrivals: Arrival[],
  round: number,
): Promise<Outcome[]> {
  const earlier = await earlierOf(deps, open, arrivals);
  const outcomes: Outcome[] = arrivals.map((arrival) => ({
    outcome: 'duplicate',
    incidentId: earlier.get(arrival.ref.key) ?? open.id,
  }));
  const joining = arrivals.flatMap((arrival, index) =>
    earlier.has(arrival.ref.key) ? [] : [{ arrival, index }],
  );
  if (!joining.length) return outcomes;
  const arriving = joining.map(({ arrival }) => arrival);
  const joined =
    (await attach(deps, runbook, open.id, arriving, open)) ?? (await rejoin(deps, runbook, arriving, round));
  joined.forEach((outcome, i) => (outcomes[joining[i]?.index as number] = outcome));
  return outcomes;
}

/**
 * The incident these alerts were joining closed under them (or is a drill): they go to whatever incident is
 * open now, or a new one.
 */
async function rejoin(
  deps: EngineDeps,
  runbook: Runbook,
  arrivals: Arrival[],
  round: number,
): Promise<Outcome[]> {
  if (round < REJOIN_ROUNDS) return openOrAttach(deps, runbook, arrivals, round + 1);
  throw new RollbotError(
    'UNAVAILABLE',
    `alerts for ${runbook.model} were not recorded: ${REJOIN_ROUNDS} times in a row, the incident they were joining was resolved as they arrived`,
    {
      hint: 'retry in a moment (Alertmanager re-sends on this 503); if it persists, check what keeps resolving incidents of this model',
      details: { model: runbook.model },
    },
  );
}
