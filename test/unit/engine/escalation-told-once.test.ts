/**
 * One situation, one escalation. A confirmation still running at the confirm target gives up as INCONCLUSIVE
 * moments later (its maximum duration counts from when traffic landed, the stage's from the decision): "confirm
 * target missed" and "no confirmation verdict within the confirm target" are the same news, and paging twice for
 * it within seconds wakes the on-call twice for nothing new. So is a rollback target missed seconds after the
 * rollback FAILED and was escalated: "traffic is not yet on the known-good version" is what the failure said.
 * What is news still escalates: a verdict that the metrics are bad, a failure after the target, an escalation of
 * a later attempt, and anything whose earlier escalation never arrived.
 */
import { describe, expect, it } from 'vitest';
import { pollConfirmation } from '../../../src/engine/confirm.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import type { EscalationEvent } from '../../../src/engine/notifier-port.js';
import type { EngineDeps } from '../../../src/engine/context.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { rollback } from '../../../src/engine/rollback.js';
import { SEND_LOCK_TTL_MS } from '../../../src/engine/send-once.js';
import type { Page, Pager } from '../../../src/paging/types.js';
import { firing } from '../../helpers/alerts.js';
import { pagingThrough } from '../../helpers/paging.js';
import { makeDeps, makeRunbook, metricValue, type TestDeps } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';
import { permanent } from '../../helpers/fake-serving.js';

const MINUTE = 60_000;
const ERRORS = 'error_ratio{model="fraud-scorer"}';

/**
 * fraud-scorer with an error-rate check, a person deciding (policy approve) and the tier-1 targets (rollback 5m,
 * confirm 15m); `errors` is what Prometheus answers (undefined: no data, so confirmation never gets a verdict).
 */
function setup(errors: (at: number) => number | undefined = () => undefined, more = '') {
  const metrics = new FakeMetrics().set(ERRORS, errors);
  const runbook = makeRunbook(
    'fraud-scorer',
    `triage:\n  checks:\n    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }\nrollback: { policy: approve, approvers: [U0ANA] }\n${more}`,
  );
  return makeDeps({ runbooks: [runbook], metricsSource: metrics });
}

/**
 * Opens INC-1 from an alert (SEV-1 unless `severity` says) and runs its triage, then U0ANA rolls back at `T`, the
 * traffic landing `landsAfterMs` later. `engine`: the deps the engine runs with (paging through a pager, say).
 */
async function rolledBack(
  deps: TestDeps,
  landsAfterMs: number,
  { engine = deps, severity = 'critical' }: { engine?: EngineDeps; severity?: string } = {},
): Promise<number> {
  const labels = { alertname: 'ModelErrorRateHigh', model: 'fraud-scorer', severity };
  await ingestAlerts(engine, [firing('fraud-scorer', deps.clock.now(), { labels })]);
  await pollDeadlines(engine);
  const decidedAt = deps.clock.now();
  deps.fake.duringExecute = async () => deps.clock.advance(landsAfterMs);
  const result = await rollback(engine, {
    model: 'fraud-scorer',
    reason: 'error rate after v42',
    by: 'U0ANA',
    trigger: 'slack',
  });
  expect(result.outcome).toBe('succeeded');
  return decidedAt;
}

/** Runs every deadline due up to `at`, each at its own time, then leaves the clock at `at`. */
async function runUntil(deps: TestDeps, at: number, engine: EngineDeps = deps): Promise<void> {
  for (;;) {
    const due = (await deps.store.pending()).filter((deadline) => deadline.dueAt <= at);
    const next = due[0];
    if (!next) break;
    deps.clock.set(Math.max(deps.clock.now(), next.dueAt));
    await pollDeadlines(engine);
  }
  deps.clock.set(at);
}

/** `deps` paging through a stand-in pager (business hours 9 to 18 UTC, Monday to Friday), and what it was sent. */
function paging(deps: TestDeps) {
  const pages: Page[] = [];
  const pager: Pager = { send: async (page) => void pages.push(page) };
  const triggers = (key: string) =>
    pages.filter((page) => page.action === 'trigger' && page.dedupKey === key).map((page) => page.summary);
  return { engine: pagingThrough(deps, pager), triggers };
}

/** The runbook's paging block: the engine reads from it that the model pages (the pager itself is a stand-in). */
const PAGES = 'paging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY }';

const escalationsOf = (deps: TestDeps, stage: string): EscalationEvent[] =>
  deps.notifier.ofType('escalation').filter((event) => event.stage === stage);

async function entries(deps: TestDeps, type: string) {
  return (await deps.store.list('INC-1')).filter((entry) => entry.type === type);
}

describe('a confirmation still running at the confirm target', () => {
  it('escalates once, saying when it gives up; its INCONCLUSIVE moments later is noted, not escalated again', async () => {
    const deps = setup();
    const decidedAt = await rolledBack(deps, 20_000);

    // At the target the confirmation (started 20 s after the decision) is still polling: the target escalates.
    await runUntil(deps, decidedAt + 15 * MINUTE);
    expect((await deps.store.getIncident('INC-1'))?.confirmation?.verdict).toBeUndefined();
    const [missed] = escalationsOf(deps, 'confirm');
    expect(missed?.text).toContain(
      'confirm target missed for fraud-scorer (INC-1): 15m against a target of 15m',
    );
    // The one escalation says what comes next, so that the INCONCLUSIVE need not page again.
    expect(missed?.text).toContain(
      'rollbot confirms until 2026-11-22T02:15:20Z (15m after the traffic landed); with no verdict by then it stops and pages nobody again',
    );

    // 20 s later the confirmation gives up: the same news, on the timeline and not sent again.
    await runUntil(deps, decidedAt + 15 * MINUTE + 20_000);
    expect((await deps.store.getIncident('INC-1'))?.confirmation?.verdict).toBe('INCONCLUSIVE');
    expect(escalationsOf(deps, 'confirm')).toHaveLength(1);
    const [noted] = await entries(deps, 'confirm.failed');
    expect(noted?.data).toMatchObject({ verdict: 'INCONCLUSIVE', attempt: 1, escalated: false });
    expect(noted?.text).toMatch(
      /^no confirmation verdict within the confirm target for fraud-scorer \(INC-1\): error rate no data .*\. Not escalated again: the confirm target's escalation at 2026-11-22T02:15:00Z told S0PLATFORM it would end so; the incident stays open: look at it, then roll back further or resolve by hand\.$/,
    );
    // Nothing more comes due for it: the incident waits for a person.
    await runUntil(deps, decidedAt + 60 * MINUTE);
    expect(escalationsOf(deps, 'confirm')).toHaveLength(1);
  });

  it("still escalates a further rollback's INCONCLUSIVE: the target's escalation spoke of the first one", async () => {
    const deps = setup();
    const decidedAt = await rolledBack(deps, 20_000);
    await runUntil(deps, decidedAt + 15 * MINUTE);
    expect(escalationsOf(deps, 'confirm')).toHaveLength(1);

    // The on-call rolls back further at once; its confirmation gets a confirm target of its own, and gives up.
    deps.fake.previous = 'v40';
    await rollback(deps, {
      model: 'fraud-scorer',
      to: 'v40',
      reason: 'still bad',
      by: 'U0ANA',
      trigger: 'slack',
    });
    await runUntil(deps, decidedAt + 32 * MINUTE);
    expect((await deps.store.getIncident('INC-1'))?.confirmation?.verdict).toBe('INCONCLUSIVE');
    expect(escalationsOf(deps, 'confirm').map((event) => event.text.split(':')[0])).toEqual([
      'confirm target missed for fraud-scorer (INC-1)',
      'no confirmation verdict within the confirm target for fraud-scorer (INC-1)',
    ]);
  });

  it('records, counts and does not escalate again a confirm target missed after a FAIL was escalated', async () => {
    const deps = setup((at) => (at > 0 ? 0.09 : undefined));
    const decidedAt = await rolledBack(deps, 20_000);
    await runUntil(deps, decidedAt + 15 * MINUTE);
    expect((await deps.store.getIncident('INC-1'))?.confirmation?.verdict).toBe('FAIL');
    expect(escalationsOf(deps, 'confirm').map((event) => event.text.split(':')[0])).toEqual([
      'the rollback did not restore service for fraud-scorer (INC-1)',
    ]);
    const [breached] = await entries(deps, 'stage.breached');
    expect(breached?.text).toBe(
      "confirm target missed for fraud-scorer (INC-1): 15m against a target of 15m; the confirmation's FAIL escalation at 2026-11-22T02:01:50Z told S0PLATFORM: not escalated again",
    );
  });

  it('records, counts and does not escalate again a confirm target missed after its INCONCLUSIVE was escalated', async () => {
    const deps = setup();
    // Landed at once: the confirmation's end and the stage's target fall due together, the poll handled first.
    const decidedAt = await rolledBack(deps, 0);
    await runUntil(deps, decidedAt + 14 * MINUTE + 30_000);
    deps.clock.set(decidedAt + 15 * MINUTE);
    expect(await pollConfirmation(deps, 'INC-1')).toBe('INCONCLUSIVE');
    expect(escalationsOf(deps, 'confirm')).toHaveLength(1);
    // The confirmation's poll and the stage's target fall due together and take turns under one lock: the target
    // finding it held looks again once the lock's ttl has passed.
    await runUntil(deps, decidedAt + 15 * MINUTE + SEND_LOCK_TTL_MS);

    expect(escalationsOf(deps, 'confirm').map((event) => event.text.split(':')[0])).toEqual([
      'no confirmation verdict within the confirm target for fraud-scorer (INC-1)',
    ]);
    const [breached] = await entries(deps, 'stage.breached');
    expect(breached?.text).toBe(
      "confirm target missed for fraud-scorer (INC-1): 17m against a target of 15m; the confirmation's INCONCLUSIVE escalation at 2026-11-22T02:15:00Z told S0PLATFORM: not escalated again",
    );
    expect(breached?.data).toMatchObject({ stage: 'confirm', delivered: false, toldBy: 'confirm.failed' });
    expect(await metricValue(deps.metrics, 'rollbot_target_breaches_total', { stage: 'confirm' })).toBe(1);
  });
});

describe('a confirm target missed while the confirmation runs, on a model that pages', () => {
  it('pages once for a SEV-1: the target rang the pager, so its INCONCLUSIVE rings nobody again', async () => {
    const deps = setup(() => undefined, PAGES);
    const { engine, triggers } = paging(deps);
    const decidedAt = await rolledBack(deps, 20_000, { engine });
    await runUntil(deps, decidedAt + 16 * MINUTE, engine);
    expect((await deps.store.getIncident('INC-1'))?.confirmation?.verdict).toBe('INCONCLUSIVE');
    expect(triggers('rollbot-INC-1-confirm')).toHaveLength(1);
    expect((await entries(deps, 'stage.breached'))[0]?.data).toMatchObject({ delivered: true, paged: true });
    expect((await entries(deps, 'confirm.failed'))[0]?.data).toMatchObject({ escalated: false });
  });

  it('pages the INCONCLUSIVE of a SEV-3 at night, whose missed target waited for business hours', async () => {
    const deps = setup(() => undefined, PAGES);
    const { engine, triggers } = paging(deps);
    // Sunday 02:00 UTC: a SEV-3's missed target is told in Slack and pages nobody now.
    const decidedAt = await rolledBack(deps, 20_000, { engine, severity: 'warning' });
    await runUntil(deps, decidedAt + 15 * MINUTE, engine);
    expect(triggers('rollbot-INC-1-confirm')).toEqual([]);

    // Giving up on the confirmation is rollbot's own change not confirmed: it pages at any hour, so it is sent.
    await runUntil(deps, decidedAt + 16 * MINUTE, engine);
    expect(triggers('rollbot-INC-1-confirm')).toEqual([
      expect.stringContaining('no confirmation verdict within the confirm target for fraud-scorer (INC-1)'),
    ]);
    expect(escalationsOf(deps, 'confirm')).toHaveLength(2);
  });
});

describe('a rollback that FAILED shortly before its target', () => {
  it('escalates the failure; the target missed 10 s later is recorded and counted, not escalated again', async () => {
    const deps = setup();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);
    const decidedAt = deps.clock.now();
    deps.fake.duringExecute = async () => deps.clock.advance(4 * MINUTE + 50_000);
    deps.fake.executeErrors.push(permanent('HTTP 504: the router timed out'));
    const result = await rollback(deps, {
      model: 'fraud-scorer',
      reason: 'error rate after v42',
      by: 'U0ANA',
      trigger: 'slack',
    });
    expect(result.outcome).toBe('failed');
    expect(escalationsOf(deps, 'rollback').map((event) => event.about)).toEqual(['rollback-failed']);

    await runUntil(deps, decidedAt + 5 * MINUTE);
    expect(escalationsOf(deps, 'rollback')).toHaveLength(1);
    const [breached] = await entries(deps, 'stage.breached');
    expect(breached?.text).toBe(
      'rollback target missed for fraud-scorer (INC-1): 5m against a target of 5m; the rollback FAILED escalation at 2026-11-22T02:04:50Z told S0PLATFORM: not escalated again',
    );
    expect(await metricValue(deps.metrics, 'rollbot_target_breaches_total', { stage: 'rollback' })).toBe(1);
  });

  it('escalates the missed target when the failure’s escalation never arrived', async () => {
    const deps = setup();
    deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await pollDeadlines(deps);
    const decidedAt = deps.clock.now();
    // The failure's page is given up on (the pager answering 503): nobody was told of it.
    deps.notifier.arrival = async (event) =>
      !(event.type === 'escalation' && event.about === 'rollback-failed');
    deps.fake.duringExecute = async () => deps.clock.advance(4 * MINUTE + 50_000);
    deps.fake.executeErrors.push(permanent('HTTP 504: the router timed out'));
    await rollback(deps, { model: 'fraud-scorer', reason: 'error rate', by: 'U0ANA', trigger: 'slack' });
    expect((await entries(deps, 'rollback.failed')).some((entry) => entry.data?.delivered === false)).toBe(
      true,
    );

    await runUntil(deps, decidedAt + 5 * MINUTE);
    expect(escalationsOf(deps, 'rollback').filter((event) => event.about === undefined)).toHaveLength(1);
  });
});
