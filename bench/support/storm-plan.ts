import type { AlertFactory } from './alerts.js';

export interface Delivery {
  model: string;
  body: string;
  fingerprints: string[];
  /** A re-send of an earlier delivery (Alertmanager repeats a group): every alert in it must be dedup'd. */
  resend: boolean;
}

/**
 * The storm: `alerts` alerts in bodies of `perBody`, models in turn; every `resendEvery`-th body repeats the
 * body sent five before it, as Alertmanager does when a notification is retried or the group is re-sent.
 */
export function stormPlan(
  factory: AlertFactory,
  models: readonly string[],
  options: { alerts: number; perBody: number; resendEvery: number },
): Delivery[] {
  const plan: Delivery[] = [];
  let fresh = 0;
  for (let index = 0; index < options.alerts / options.perBody; index++) {
    const earlier = plan[index - 5];
    if (index % options.resendEvery === options.resendEvery - 1 && earlier) {
      plan.push({ ...earlier, resend: true });
      continue;
    }
    const model = models[fresh++ % models.length] ?? '';
    plan.push({ model, ...factory.payload(model, options.perBody), resend: false });
  }
  return plan;
}
