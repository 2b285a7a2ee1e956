/**
 * A triage escalation that paged, its Slack half still on its way when its deadline came round again after the
 * alert resolved at the source: the second round joins the delivery on its way (the page that rang included) and
 * must not record that nobody was paged.
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import type { DeliveredEvent } from '../../../src/engine/notifier-port.js';
import type { Page, Pager } from '../../../src/paging/types.js';
import { firing } from '../../helpers/alerts.js';
import { pagingThrough } from '../../helpers/paging.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';
import { FakeMetrics } from '../../helpers/fake-metrics.js';

const MINUTE = 60_000;
const ERRORS = 'error_ratio{model="fraud-scorer"}';
const CHECKS = `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }`;

describe('a triage escalation that paged and is joined, still on its way, after its alert resolved', () => {
  it('records that the on-call was paged, not "nobody paged"', async () => {
    const metrics = new FakeMetrics().set(ERRORS, 0.004);
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
    const pages: Page[] = [];
    const pager: Pager = { send: async (page) => void pages.push(page) };
    const paging = pagingThrough(deps, pager);
    // Each escalation handed to the notifier: the second round's joins the first's there, on the same call.
    let escalations = 0;
    const engine = {
      ...paging,
      notifier: {
        ...paging.notifier,
        deliver: (event: DeliveredEvent) => {
          if (event.type === 'escalation') escalations += 1;
          return paging.notifier.deliver(event);
        },
      },
    };
    const alert = firing('fraud-scorer', deps.clock.now());
    await ingestAlerts(engine, [alert]);
    expect(await pollDeadlines(engine)).toBe(1); // the triage run: every check passes

    // Slack holds the escalation (retrying, say) past arrivalWaitMs; the page rings meanwhile.
    let arrive = (): void => undefined;
    deps.notifier.arrival = async (event) =>
      event.type !== 'escalation' || new Promise<boolean>((resolve) => (arrive = () => resolve(true)));
    deps.clock.advance(10 * MINUTE);
    expect(await pollDeadlines(engine)).toBe(0);
    // The page goes out beside the Slack half: give it the turns it takes (more on a loaded machine).
    const rang = () => pages.some((page) => page.action === 'trigger');
    for (let turn = 0; turn < 1_000 && !rang(); turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(pages.filter((page) => page.dedupKey === 'rollbot-INC-1-triage').map((p) => p.action)).toEqual([
      'resolve',
      'trigger',
    ]);

    // The alert resolves at the source; the deadline comes round again and joins the delivery on its way.
    await ingestAlerts(engine, [{ ...alert, status: 'resolved', endsAt: deps.clock.now() }]);
    // On `engine`, which holds its own copy of deps' fields: set on deps, the round waited only the first's 5 ms.
    engine.timing = { ...engine.timing, arrivalWaitMs: 60_000 };
    deps.clock.advance(DEADLINE_LEASE_MS);
    const round = pollDeadlines(engine);
    // Slack's half arrives only once the round has joined it: before, the round would find nothing on its way.
    const joined = () => escalations === 2;
    for (let turn = 0; turn < 1_000 && !joined(); turn++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(escalations).toBe(2);
    arrive();
    expect(await round).toBe(1);

    expect(deps.notifier.delivered.filter((event) => event.type === 'escalation')).toHaveLength(1);
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toHaveLength(1);
    expect(breaches[0]?.data).toMatchObject({ stage: 'triage', delivered: true });
    expect(breaches[0]?.data?.paged).toBe(true); // the pager rang for it, and the entry says so
    expect(breaches[0]?.text).not.toContain('nobody paged');
    expect(breaches[0]?.text).not.toContain('not paged');
  });
});
