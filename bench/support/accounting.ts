import type { HttpClient } from './http-client.js';
import { API_HEADERS } from './stack.js';
import type { Delivery } from './storm-plan.js';

/** What the 202 answers said became of each alert (src/http/alerts.ts). */
export interface AlertOutcome {
  fingerprint: string;
  outcome: string;
}

export interface Accounting {
  incidents: number;
  models: number;
  delivered: number;
  /** Distinct alerts recorded on some incident's timeline (incident.opened or alert.attached). */
  onTimeline: number;
  /** Deliveries answered "duplicate" whose alert is on a timeline. */
  deduplicated: number;
  /** Distinct alerts sent that are on no timeline. */
  lost: number;
  /** Alerts recorded on timelines more than once. */
  recordedTwice: number;
  /** Deliveries with another outcome (unrouted, ignored) or no 202. */
  unexplained: number;
}

interface IncidentSummary {
  id: string;
  model: string;
}

interface TimelineEntry {
  type: string;
  /** `incident.opened` names the alert that opened it; `alert.attached` the alerts of one write (`alerts`). */
  data?: { fingerprint?: string; alerts?: { fingerprint: string }[] };
}

/**
 * Reconciles every alert of the storm against the bot's record, through its public API: each distinct alert
 * must be on exactly one incident timeline (intake writes `incident.opened` with its fingerprint or `alert.attached`
 * naming it among a write's alerts, src/engine/intake-attach.ts), and each other delivery of it must have been
 * answered "duplicate".
 */
export async function accountForAlerts(
  client: HttpClient,
  plan: readonly Delivery[],
  outcomes: readonly (AlertOutcome[] | undefined)[],
): Promise<Accounting> {
  const listed = await client.get('/api/incidents?limit=1000', API_HEADERS);
  const { incidents } = JSON.parse(listed.body) as { incidents: IncidentSummary[] };
  const recorded = new Map<string, number>();
  for (const incident of incidents) {
    const detail = await client.get(`/api/incidents/${incident.id}`, API_HEADERS);
    const { timeline } = JSON.parse(detail.body) as { timeline: TimelineEntry[] };
    for (const fingerprint of timeline.flatMap(fingerprintsOf)) {
      recorded.set(fingerprint, (recorded.get(fingerprint) ?? 0) + 1);
    }
  }
  const sent = new Set(plan.flatMap((delivery) => delivery.fingerprints));
  const result: Accounting = {
    incidents: incidents.length,
    models: new Set(incidents.map((incident) => incident.model)).size,
    delivered: plan.reduce((sum, delivery) => sum + delivery.fingerprints.length, 0),
    onTimeline: [...sent].filter((fingerprint) => recorded.has(fingerprint)).length,
    deduplicated: 0,
    lost: [...sent].filter((fingerprint) => !recorded.has(fingerprint)).length,
    recordedTwice: [...recorded.values()].filter((count) => count > 1).length,
    unexplained: 0,
  };
  for (const [index, delivery] of plan.entries()) {
    const answer = outcomes[index];
    if (!answer) {
      result.unexplained += delivery.fingerprints.length;
      continue;
    }
    for (const { fingerprint, outcome } of answer) {
      if (outcome === 'duplicate' && recorded.has(fingerprint)) result.deduplicated += 1;
      else if (outcome !== 'opened' && outcome !== 'attached') result.unexplained += 1;
    }
  }
  return result;
}

/** The fingerprints of the alerts a timeline entry records as opening or joining its incident. */
function fingerprintsOf(entry: TimelineEntry): string[] {
  if (entry.type === 'incident.opened') return entry.data?.fingerprint ? [entry.data.fingerprint] : [];
  if (entry.type === 'alert.attached') return (entry.data?.alerts ?? []).map((alert) => alert.fingerprint);
  return [];
}
