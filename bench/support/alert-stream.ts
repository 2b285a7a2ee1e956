import { AlertFactory } from './alerts.js';
import { HttpClient } from './http-client.js';
import { paced } from './load.js';
import { ALERT_HEADERS } from './stack.js';

/** Unanswered deliveries allowed at once; beyond it the server is not keeping up and the excess is shed. */
const MAX_IN_FLIGHT = 64;

export interface StreamResult {
  offered: number;
  accepted: number;
  /** Offered while MAX_IN_FLIGHT deliveries were still unanswered: not sent (a real sender would time out). */
  shed: number;
  /** Request latencies of the alert deliveries, ms. */
  latencies: number[];
  elapsedMs: number;
}

/**
 * A steady stream of alerts at `alertsPerSecond`, as bodies of `perBody` alerts (one model per body, models in
 * turn), open loop: the background load "while 1,000 alerts/s arrive". Never rejects; failures and shed load are
 * counted, so a server that cannot keep up shows as a lower accepted rate, not as a run that never ends.
 */
export async function alertStream(options: {
  url: string;
  models: readonly string[];
  alertsPerSecond: number;
  perBody: number;
  durationMs: number;
  factory?: AlertFactory;
}): Promise<StreamResult> {
  const factory = options.factory ?? new AlertFactory();
  const client = new HttpClient(options.url, MAX_IN_FLIGHT);
  const perSecond = options.alertsPerSecond / options.perBody;
  const count = Math.round((perSecond * options.durationMs) / 1000);
  const result: StreamResult = { offered: 0, accepted: 0, shed: 0, latencies: [], elapsedMs: 0 };
  let inFlight = 0;
  const run = await paced({
    perSecond,
    count,
    send: async (index) => {
      const model = options.models[index % options.models.length] ?? '';
      result.offered += options.perBody;
      if (inFlight >= MAX_IN_FLIGHT) {
        result.shed += options.perBody;
        return;
      }
      inFlight += 1;
      try {
        const reply = await client.post(
          '/alerts/alertmanager',
          factory.payload(model, options.perBody).body,
          ALERT_HEADERS,
        );
        result.latencies.push(reply.ms);
        if (reply.status === 202) result.accepted += options.perBody;
      } catch {
        // Counted: offered but not accepted.
      } finally {
        inFlight -= 1;
      }
    },
  });
  client.close();
  result.elapsedMs = run.elapsedMs;
  return result;
}
