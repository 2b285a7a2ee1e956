import type { Incident } from '../core/incident.js';
import type { Runbook } from '../runbooks/schema.js';
import type { RunbookSet } from './runbook-set.js';
import type { Clock, EngineMetrics, Logger, Store, TimelineEntry } from './ports.js';
import type { ServingAdapterFactory } from './serving-port.js';
import type { MetricsSource } from './metrics-port.js';
import type { InFlight } from './in-flight.js';
import type { Notifier } from './notifier-port.js';

/** How the engine paces itself; tests shrink these. */
export interface EngineTiming {
  /** Between "is traffic on the target yet?" checks. */
  pollMs: number;
  /** First retry delay for transient serving errors; doubles each time, capped at 30 s. */
  retryBaseMs: number;
  /**
   * A rollback lock, or a settlement's (recovery.ts), lives this long unless extended; extended every third of it
   * while the rollback or settlement runs.
   */
  lockTtlMs: number;
  /**
   * How long the sender of an escalation (or of a triage's decision request) waits for it to reach Slack and the
   * pager before leaving it on its way and letting its deadline come round again to record it (arrival.ts).
   * Milliseconds when they are up. Short, because a stopping bot waits for its deadline handlers before its
   * rollbacks, within Kubernetes' 60 s grace.
   */
  arrivalWaitMs: number;
}

export const DEFAULT_TIMING: EngineTiming = {
  pollMs: 2_000,
  retryBaseMs: 1_000,
  lockTtlMs: 60_000,
  arrivalWaitMs: 10_000,
};

/** Everything the engine works with, passed in by the composition root (src/compose.ts) or a test. */
export interface EngineDeps {
  store: Store;
  notifier: Notifier;
  metrics: EngineMetrics;
  clock: Clock;
  logger: Logger;
  runbooks: RunbookSet;
  serving: ServingAdapterFactory;
  /** Prometheus for triage and confirmation; undefined: gates report "no metrics source" and people decide. */
  metricsSource: MetricsSource | undefined;
  /** Waits; tests pass one that moves their clock instead. */
  sleep: (ms: number) => Promise<void>;
  timing: EngineTiming;
  /** Rollbacks under way, for a shutdown to wait for. */
  inFlight: InFlight;
}

/** Appends one line to an incident's timeline, stamped with the engine's clock. */
export function record(
  deps: Pick<EngineDeps, 'store' | 'clock'>,
  incident: Pick<Incident, 'id'>,
  entry: { type: string; text: string; actor?: string; data?: Record<string, unknown> },
): Promise<TimelineEntry> {
  return deps.store.append({
    incidentId: incident.id,
    at: deps.clock.now(),
    type: entry.type,
    actor: entry.actor ?? 'rollbot',
    text: entry.text,
    ...(entry.data ? { data: entry.data } : {}),
  });
}

/** The runbook of an incident's model. Runbooks are loaded once, so a missing one is a removed model. */
export function runbookOf(
  deps: Pick<EngineDeps, 'runbooks'>,
  incident: Pick<Incident, 'model'>,
): Runbook | undefined {
  return deps.runbooks.get(incident.model);
}

/**
 * The model's newest incident, open or not: where what concerns its deployments (an approval, an override, a
 * freeze) and their refusals are recorded, since those usually follow a resolved incident.
 */
export async function latestIncident(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
): Promise<Incident | undefined> {
  const [latest] = await deps.store.listIncidents({ model, limit: 1 });
  return latest;
}
