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
  annotations: Record<string, string>;
  /** One line for people: annotation `summary`, else `description`, else the name. */
  summary: string;
  /** Degradation onset, epoch ms; undefined when the sender did not say. */
  startsAt?: number;
  /** Epoch ms, only for resolved alerts. */
  endsAt?: number;
  generatorURL?: string;
}
