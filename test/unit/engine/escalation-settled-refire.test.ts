/**
 * A generic alert posted without `startsAt` has no episode to tell: its key is its fingerprint alone. Once the
 * source said it resolved, a firing post of it is that alert firing again, not a repeat: the incident must not
 * stay "settled at the source", or its missed triage target would page nobody while the alert fires.
 */
import { describe, expect, it } from 'vitest';
import type { NormalizedAlert } from '../../../src/alerts/types.js';
import { settledAtSource } from '../../../src/core/settled-at-source.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
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

/** A generic alert as `POST /alerts` normalizes one sent without `startsAt`. */
const generic = (status: 'firing' | 'resolved'): NormalizedAlert => ({
  source: 'generic',
  status,
  fingerprint: 'gen-1',
  name: 'fraud-scorer degraded',
  labels: { model: 'fraud-scorer' },
  annotations: {},
  summary: 'fraud-scorer degraded',
  declaredSeverity: 1,
});

describe('a generic alert without startsAt that fires again after it resolved', () => {
  it('unsettles its incident, so that the missed triage target pages', async () => {
    const metrics = new FakeMetrics().set(ERRORS, 0.004);
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)], metricsSource: metrics });
    const pages: Page[] = [];
    const pager: Pager = { send: async (page) => void pages.push(page) };
    const engine = pagingThrough(deps, pager);
    await ingestAlerts(engine, [generic('firing')]);
    expect(await pollDeadlines(engine)).toBe(1); // the triage run: every check passes
    deps.clock.advance(2 * MINUTE);
    expect(await ingestAlerts(engine, [generic('resolved')])).toMatchObject([{ outcome: 'resolved' }]);
    deps.clock.advance(2 * MINUTE);
    const [again] = await ingestAlerts(engine, [generic('firing')]);
    expect(again?.outcome).toBe('attached');

    const incident = await deps.store.getIncident('INC-1');
    expect(incident?.alerts.map((ref) => ref.resolvedAt)).toEqual([undefined]);
    expect(settledAtSource(incident!)).toBe(false);
    const timeline = await deps.store.list('INC-1');
    expect(timeline.at(-1)?.text).toContain('fired again');

    deps.clock.advance(10 * MINUTE);
    await pollDeadlines(engine);
    const triagePages = pages.filter((page) => page.dedupKey === 'rollbot-INC-1-triage');
    expect(triagePages.map((page) => page.action)).toEqual(['resolve', 'trigger']);
  });

  it('leaves a late firing copy of an episode that resolved (it has a start time) a duplicate', async () => {
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', CHECKS)] });
    const alert = firing('fraud-scorer', deps.clock.now());
    await ingestAlerts(deps, [alert]);
    await ingestAlerts(deps, [{ ...alert, status: 'resolved', endsAt: deps.clock.now() }]);
    expect(await ingestAlerts(deps, [alert])).toMatchObject([{ outcome: 'duplicate' }]);
    const incident = await deps.store.getIncident('INC-1');
    expect(incident?.alerts.map((ref) => ref.resolvedAt)).toEqual([deps.clock.now()]);
  });
});
