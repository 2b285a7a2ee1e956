import type { Severity } from '../core/severity.js';

/** Where an alert came from. */
export type AlertIntakeSource = 'alertmanager' | 'grafana' | 'generic';

/**
 * An alert from any source, reduced to what rollbot routes and records. Parsers in this folder produce it
 * from each wire format; the engine consumes it.
 */
export interface NormalizedAlert {
  source: AlertIntakeSource;
  status: 'firing' | 'resolved';
  /** Stable per label set (Alertmanager/Grafana give one; generic alerts get a hash of model and labels). */
  fingerprint: string;
  /** `alertname`, or the summary when there is none. */
  name: string;
  labels: Record<string, string>;
  /**
   * A severity the sender stated in a field of its own (the generic format's `severity`): read through the runbook's
   * severity map instead of its severity label, which a runbook written for Alertmanager may name otherwise.
   */
  severity?: string;
  /** A severity a person declared (`/incident open`): taken as it is, not read through the runbook's map. */
  declaredSeverity?: Severity;
  annotations: Record<string, string>;
  /** One line for people: annotation `summary`, else `description`, else the name. */
  summary: string;
  /** Degradation onset, epoch ms; undefined when the sender did not say. */
  startsAt?: number;
  /** Epoch ms, only for resolved alerts. */
  endsAt?: number;
  generatorURL?: string;
}
