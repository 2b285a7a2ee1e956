/**
 * A blip that healed itself: the alert fired, triage found every check passing, the alert resolved at the source,
 * and nobody decided. At the triage target the escalation still goes to Slack (a person decides: "not a rollback",
 * or resolve), saying why nobody is paged, and the pager is not rung; the timeline says whom it reached. With an
 * alert still firing it pages as before.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import type { EscalationEvent } from '../../../src/engine/notifier-port.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import type { Page, Pager } from '../../../src/paging/types.js';
import { threadLine } from '../../../src/slack/blocks/thread.js';
import { firing } from '../../helpers/alerts.js';
import { pagingThrough } from '../../helpers/paging.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';

const MINUTE = 60_000;
const ERRORS = 'error_ratio{model="fraud-scorer"}';
const LATENCY = 'p99_seconds{model="fraud-scorer"}';
const CHECKS = `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }
    - { name: p99 latency, kind: latency, query: '${LATENCY}', max: 0.25 }`;
const QUIET = 'every alert resolved at the source and every check passes: not paged';

/**
 * fraud-scorer (SEV-1 alerts, healthy metrics) paging through a stand-in pager; INC-1 opened by two alerts and
 * triaged, then the alerts named in `resolve` resolved at the source, then its 10-minute triage target missed.
 */
async function missedTriage(resolve: readonly string[]) {
  const metrics = new FakeMetrics().set(ERRORS, 0.004).set(LATENCY, 0.12);
  const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
  const pages: Page[] = [];
  const pager: Pager = { send: async (page) => void pages.push(page) };
  const engine = pagingThrough(deps, pager);
  const alerts = ['fp-errors', 'fp-latency'].map((fingerprint) =>
    firing('fraud-scorer', deps.clock.now(), { fingerprint }),
  );
  await ingestAlerts(engine, alerts);
  expect(await pollDeadlines(engine)).toBe(1); // the triage run
  expect((await deps.store.getIncident('INC-1'))?.triage?.finding).toBe('ok');
  deps.clock.advance(3 * MINUTE);
  const resolved = alerts
    .filter((alert) => resolve.includes(alert.fingerprint))
    .map((alert) => ({ ...alert, status: 'resolved' as const, endsAt: deps.clock.now() }));
  if (resolved.length) await ingestAlerts(engine, resolved);
  deps.clock.advance(7 * MINUTE);
  expect(await pollDeadlines(engine)).toBe(1);
  const escalations = deps.notifier.delivered.filter(
    (event): event is EscalationEvent => event.type === 'escalation',
  );
  const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
  return {
    escalations,
    breaches,
    triageTriggers: pages.filter((page) => page.dedupKey === 'rollbot-INC-1-triage'),
  };
}

describe('the triage target of an incident settled at the source', () => {
  it('is posted in Slack saying why nobody is paged, and rings no pager', async () => {
    const { escalations, breaches, triageTriggers } = await missedTriage(['fp-errors', 'fp-latency']);
    expect(escalations).toHaveLength(1);
    const [escalation] = escalations;
    expect(escalation?.stage).toBe('triage');
    expect(escalation?.text).toContain(QUIET);
    expect(escalation?.text).toContain('"not a rollback"');
    // What the Slack thread shows: the mention and the words.
    expect(threadLine(escalation!)).toMatch(/^⏰ <!subteam\^S0PLATFORM> \*triage\* is over its target: /);
    expect(threadLine(escalation!)).toContain(QUIET);
    expect(triageTriggers).toEqual([]);
    // Delivered: Slack had it, and no page was due, so nothing waits for one that never goes.
    expect(breaches).toMatchObject([{ data: { stage: 'triage', delivered: true, paged: false } }]);
    expect(breaches[0]?.text).toContain(QUIET);
    expect(breaches[0]?.text).toContain('escalated to S0PLATFORM in Slack');
  });

  it('pages as before while one of its alerts still fires', async () => {
    const { escalations, breaches, triageTriggers } = await missedTriage(['fp-errors']);
    expect(escalations).toHaveLength(1);
    expect(escalations[0]?.text).not.toContain('not paged');
    expect(escalations[0]?.text).toContain('no decision yet');
    expect(triageTriggers.map((page) => page.action)).toEqual(['resolve', 'trigger']);
    expect(breaches).toMatchObject([{ data: { stage: 'triage', delivered: true } }]);
    expect(breaches[0]?.data?.paged).toBe(true); // the pager rang for it, and the entry says so
    expect(breaches[0]?.text).not.toContain('not paged');
  });
});

describe('a triage escalation that paged before its alerts resolved at the source', () => {
  it('does not page again, nor claim that nobody was paged, when it is sent again for Slack', async () => {
    const metrics = new FakeMetrics().set(ERRORS, 0.004).set(LATENCY, 0.12);
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
    const pages: Page[] = [];
    const pager: Pager = { send: async (page) => void pages.push(page) };
    const engine = pagingThrough(deps, pager);
    const alert = firing('fraud-scorer', deps.clock.now());
    await ingestAlerts(engine, [alert]);
    expect(await pollDeadlines(engine)).toBe(1);
    // Slack holds the first escalation past arrivalWaitMs, then gives up on it; the page went out meanwhile.
    let giveUp = (): void => undefined;
    deps.notifier.arrival = async (event) =>
      event.type !== 'escalation' || new Promise<boolean>((resolve) => (giveUp = () => resolve(false)));
    deps.clock.advance(10 * MINUTE);
    expect(await pollDeadlines(engine)).toBe(0);
    giveUp();
    await new Promise((resolve) => setImmediate(resolve));
    deps.notifier.arrival = async () => true;

    // The alert resolves at the source before the deadline comes round: the incident is settled now.
    await ingestAlerts(engine, [{ ...alert, status: 'resolved', endsAt: deps.clock.now() }]);
    deps.clock.advance(DEADLINE_LEASE_MS);
    expect(await pollDeadlines(engine)).toBe(1);

    expect(
      pages.filter((page) => page.dedupKey === 'rollbot-INC-1-triage').map((page) => page.action),
    ).toEqual(['resolve', 'trigger']);
    const escalations = deps.notifier.delivered.filter((event) => event.type === 'escalation');
    expect(escalations).toHaveLength(2);
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toMatchObject([{ data: { stage: 'triage', delivered: true } }]);
    expect(breaches[0]?.data?.paged).toBe(true); // the pager rang for it, and the entry says so
    expect(breaches[0]?.text).not.toContain('not paged');
    expect(breaches[0]?.text).not.toContain('nobody paged');
  });
});
