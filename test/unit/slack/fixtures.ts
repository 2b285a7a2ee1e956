/**
 * Incident views for the Block Kit builder tests: a realistic one (built with core's state machine, as the engine
 * builds them) and hostile ones (everything too long, too many, unicode, mention injection).
 */
import type { CheckResult, TriageRecord } from '../../../src/core/evaluation.js';
import { acknowledge, decide, resolve, trafficRestored, type Incident } from '../../../src/core/incident.js';
import { attachAlert } from '../../../src/core/incident-alerts.js';
import type { RollbackPlan } from '../../../src/core/rollback-types.js';
import type { ServingState } from '../../../src/engine/serving-port.js';
import { viewIncident, type IncidentView } from '../../../src/engine/views.js';
import type { IncidentMessageView } from '../../../src/slack/blocks/incident-message.js';
import { makeIncident, T0 } from '../../helpers/incidents.js';

export const MINUTE = 60_000;
/** A long run of text with emoji (surrogate pairs) and a mention injection attempt. */
export const HOSTILE = `<!channel> & <@U0EVIL> ${'💥'.repeat(3000)} ${'ö'.repeat(3000)} ${'x'.repeat(6000)}`;

export function check(overrides: Partial<CheckResult> = {}): CheckResult {
  return {
    name: 'error rate',
    kind: 'error',
    value: 0.079,
    threshold: '≤ 0.02',
    outcomes: ['fail', 'fail', 'fail'],
    verdict: 'FAIL',
    trend: { sparkline: '▁▁▂▃▅▇█', direction: 'rising', windowMs: 15 * MINUTE },
    ...overrides,
  };
}

export const TRIAGE: TriageRecord = {
  at: T0 + MINUTE,
  finding: 'breach',
  summary: 'error rate 0.079 > 0.02 for 3 of 3 measurements',
  checks: [
    check({ name: 'p99 latency', kind: 'latency', value: 0.12, threshold: '≤ 0.25', verdict: 'PASS' }),
    check(),
    check({ name: 'approval rate', kind: 'business', value: 0.83, threshold: '≥ 0.8', verdict: 'PASS' }),
  ],
};

export const PLAN: RollbackPlan = {
  from: 'fraud-scorer-00042',
  to: 'fraud-scorer-00041',
  regime: 'traffic-flip',
  etaMs: 30_000,
  actions: ['PATCH InferenceService ml-prod/fraud-scorer: canaryTrafficPercent 0'],
  data: {},
};

export const STATE: ServingState = {
  current: 'fraud-scorer-00042',
  traffic: [
    { version: 'fraud-scorer-00042', percent: 90 },
    { version: 'fraud-scorer-00041', percent: 10 },
  ],
  previous: 'fraud-scorer-00041',
  rolloutInProgress: true,
  settled: true,
  summary: 'canary fraud-scorer-00042 at 90%, fraud-scorer-00041 warm',
};

/** A SEV-1 incident in triage, triaged, 4 minutes old. */
export function triaged(): Incident {
  const incident = makeIncident({ severity: 1, summary: 'fraud-scorer error rate 0.079 > 0.02' });
  return { ...incident, id: 'INC-7', triage: TRIAGE };
}

/** The incident after `total` alerts joined it: it keeps the first MAX_ALERT_REFS and counts the rest. */
export function stormed(incident: Incident, total: number): Incident {
  const [first] = incident.alerts;
  if (!first) throw new Error('fixture: the incident has an alert');
  let joined = incident;
  for (let i = incident.alerts.length; i < total; i++) {
    const key = `${first.key}:${i}`;
    joined = attachAlert(joined, { ...first, key, fingerprint: key }, joined.severity) ?? joined;
  }
  return joined;
}

/** The view the message builders get, `minutes` after the incident opened. */
export function viewAt(incident: Incident, minutes: number): IncidentMessageView {
  const view: IncidentMessageView = viewIncident(incident, T0 + minutes * MINUTE);
  if (incident.acknowledged) view.acknowledged = incident.acknowledged;
  return view;
}

/** Acknowledged, decided "roll back", traffic restored, resolved. */
export function resolvedIncident(): Incident {
  let incident = acknowledge(triaged(), 'U0ALICE', T0 + MINUTE) ?? triaged();
  incident = decide(incident, {
    kind: 'rollback',
    by: 'U0ALICE',
    at: T0 + 3 * MINUTE,
    reason: 'error rate tripled',
    trigger: 'slack',
  });
  incident = {
    ...incident,
    rollback: {
      attempt: 1,
      status: 'succeeded',
      plan: PLAN,
      target: 'kserve ml-prod/fraud-scorer',
      by: 'U0ALICE',
      trigger: 'slack',
      reason: 'error rate tripled',
      startedAt: T0 + 3 * MINUTE,
      endedAt: T0 + 4 * MINUTE,
    },
  };
  incident = trafficRestored(incident, T0 + 4 * MINUTE);
  return resolve(incident, T0 + 12 * MINUTE);
}

/** Everything too long or too many: 60 checks, a 15k summary, 300 escalation targets, huge versions. */
export function hostileView(overrides: Partial<IncidentView> = {}): IncidentMessageView {
  const base = viewAt(resolvedIncident(), 30);
  const [alert] = base.alerts;
  if (!base.rollback || !alert) throw new Error('fixture: the resolved incident has a rollback and an alert');
  const checks = Array.from({ length: 60 }, (_, i) =>
    check({
      name: `${i} ${HOSTILE}`,
      threshold: HOSTILE,
      verdict: i % 3 ? 'FAIL' : 'INCONCLUSIVE',
      trend: { sparkline: '▁▂▃▄▅▆▇█'.repeat(100), direction: 'rising', windowMs: 86_400_000 },
      ...(i % 2 ? { error: HOSTILE } : { warnings: [HOSTILE, HOSTILE, HOSTILE] }),
    }),
  );
  return {
    ...base,
    id: `INC-${'9'.repeat(300)}`,
    model: `m${'o'.repeat(400)}`,
    summary: HOSTILE,
    phase: 'triage',
    open: true,
    drill: true,
    triage: { ...TRIAGE, summary: HOSTILE, checks },
    decision: { kind: 'rollback', by: HOSTILE, at: T0, reason: HOSTILE, trigger: 'slack' },
    rollback: {
      ...base.rollback,
      status: 'failed',
      error: HOSTILE,
      plan: { ...PLAN, from: HOSTILE, to: HOSTILE },
    },
    alerts: Array.from({ length: 100 }, (_, i) => ({ ...alert, name: `${i} ${HOSTILE}` })),
    alertCount: 100,
    ...overrides,
  };
}

/** Outside text with line breaks, each followed by what would pass for one of rollbot's lines were it kept. */
export const BROKEN = 'x\r\n*Decision*: roll back by <@U0EVIL>\n✅ *Resolved*';

/**
 * `value` with every line break in its strings made a space, as `oneLine` makes it. A builder that keeps outside
 * text on rollbot's lines shows `broken(…)` input exactly as it shows `flattened(broken(…))`.
 */
export function flattened<T>(value: T): T {
  return mapStrings(value, (text) => text.replace(/[\r\n]+/g, ' '));
}

/** What people see of blocks: without the values and action IDs their buttons carry as data, not shown. */
export function shown(blocks: unknown): unknown {
  if (Array.isArray(blocks)) return blocks.map(shown);
  if (typeof blocks !== 'object' || blocks === null) return blocks;
  const kept = Object.entries(blocks).filter(([key]) => key !== 'value' && key !== 'action_id');
  return Object.fromEntries(kept.map(([key, item]: [string, unknown]) => [key, shown(item)]));
}

function mapStrings<T>(value: T, map: (text: string) => string): T {
  if (typeof value === 'string') return map(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => mapStrings(item, map)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]: [string, unknown]) => [key, mapStrings(item, map)]),
    ) as T;
  }
  return value;
}

/**
 * A resolved incident's view whose every piece of outside text carries BROKEN: checks (name, threshold, error,
 * warnings), the triage summary, the rollback's versions and error, the decision's reason and who decided.
 */
export function brokenView(): IncidentMessageView {
  const base = viewAt(resolvedIncident(), 30);
  if (!base.rollback || !base.decision || !base.triage)
    throw new Error('fixture: a decided, rolled-back view');
  return {
    ...base,
    triage: {
      ...base.triage,
      summary: `triage ${BROKEN}`,
      checks: [
        check({ name: `error ${BROKEN}`, threshold: `≤ ${BROKEN}`, warnings: [`partial ${BROKEN}`] }),
        check({ name: 'p99', verdict: 'ERROR', error: `query failed ${BROKEN}` }),
      ],
    },
    decision: { ...base.decision, by: `@lead ${BROKEN}`, reason: `error rate tripled ${BROKEN}` },
    rollback: {
      ...base.rollback,
      status: 'failed',
      error: `HTTP 500 ${BROKEN}`,
      plan: { ...base.rollback.plan, from: `v42 ${BROKEN}`, to: `v41 ${BROKEN}` },
    },
    acknowledged: { by: `@ana ${BROKEN}`, at: T0 },
  };
}
