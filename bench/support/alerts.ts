import { readFileSync } from 'node:fs';

/** The real Alertmanager webhook v4 sample every payload is built from (shared/fixtures/alertmanager). */
const FIXTURE = new URL('../../../shared/fixtures/alertmanager/firing.json', import.meta.url);

interface WireAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

interface Webhook {
  alerts: WireAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  groupKey: string;
  [field: string]: unknown;
}

export interface AlertPayload {
  body: string;
  /** The fingerprints in `body`, in order: what the storm reconciles against timelines. */
  fingerprints: string[];
}

/**
 * Builds Alertmanager bodies of any size from the fixture, each alert a distinct series (its own `instance`
 * label and fingerprint), as Alertmanager sends one group: all alerts of a body share the model.
 */
export class AlertFactory {
  private readonly template: Webhook;
  private sequence = 0;

  constructor(private readonly runId = Date.now().toString(16).slice(-6)) {
    this.template = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Webhook;
  }

  /** `count` new firing alerts for `model`. startsAt is 30 s ago: detection inside its 5-minute target. */
  payload(model: string, count: number): AlertPayload {
    const first = this.template.alerts[0];
    if (!first) throw new Error(`${FIXTURE.pathname} has no alerts`);
    const startsAt = new Date(Date.now() - 30_000).toISOString();
    const alerts = Array.from({ length: count }, (): WireAlert => {
      this.sequence += 1;
      const fingerprint = `${this.runId}${this.sequence.toString(16).padStart(10, '0')}`;
      return {
        ...first,
        labels: { ...first.labels, model, instance: `pod-${this.sequence}` },
        annotations: { ...first.annotations, summary: `${model} error rate above 5%` },
        startsAt,
        fingerprint,
      };
    });
    const group = { alertname: first.labels.alertname ?? 'ModelErrorRateHigh', model };
    const body: Webhook = {
      ...this.template,
      alerts,
      groupLabels: group,
      commonLabels: { ...this.template.commonLabels, model },
      commonAnnotations: { ...this.template.commonAnnotations, summary: `${model} error rate above 5%` },
      groupKey: `{}:{alertname="${group.alertname}", model="${model}"}`,
    };
    return { body: JSON.stringify(body), fingerprints: alerts.map((alert) => alert.fingerprint) };
  }
}
