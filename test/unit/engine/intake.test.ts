import { describe, expect, it } from 'vitest';
import { parseGeneric } from '../../../src/alerts/generic.js';
import { decide } from '../../../src/core/incident.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, metricValue } from '../../helpers/engine.js';

describe('alert intake', () => {
  it('opens an incident in triage with its clocks, timeline, notification and triage deadline', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const [result] = await ingestAlerts(deps, [firing('fraud-scorer', now)]);

    expect(result).toMatchObject({ outcome: 'opened', model: 'fraud-scorer', incidentId: 'INC-1' });
    const incident = await deps.store.getIncident('INC-1');
    expect(incident).toMatchObject({
      model: 'fraud-scorer',
      phase: 'triage',
      severity: 1,
      drill: false,
      openedAt: now,
    });
    expect(incident?.stages.detect).toEqual({ startedAt: now - 60_000, endedAt: now });
    expect(incident?.stages.triage).toEqual({ startedAt: now });
    expect(await deps.store.pending()).toEqual([
      { id: 'INC-1:triage-run', kind: 'triage-run', dueAt: now, payload: { incidentId: 'INC-1' } },
      {
        id: 'INC-1:triage',
        kind: 'stage-target',
        dueAt: now + 10 * 60_000,
        payload: { incidentId: 'INC-1', stage: 'triage' },
      },
    ]);
    const timeline = await deps.store.list('INC-1');
    expect(timeline.map((entry) => entry.type)).toEqual(['incident.opened']);
    expect(timeline[0]?.text).toContain('detected in 1m');
    expect(deps.notifier.ofType('incident.opened')).toHaveLength(1);
    expect(deps.notifier.events[0]).toMatchObject({ channel: 'C0TEST0001' });
    expect(
      await metricValue(deps.metrics, 'rollbot_incidents_total', {
        model: 'fraud-scorer',
        severity: 'SEV-1',
        drill: 'false',
      }),
    ).toBe(1);
    expect(
      await metricValue(deps.metrics, 'rollbot_alerts_received_total', {
        source: 'alertmanager',
        status: 'opened',
      }),
    ).toBe(1);
  });

  it('keeps the first alert’s source link when it is an http(s) URL', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const graph = 'http://prometheus.test:9090/graph?g0.expr=up%3D%3D0';
    await ingestAlerts(deps, [
      firing('fraud-scorer', now, { generatorURL: graph }),
      firing('churn-predictor', now, { generatorURL: 'javascript:alert(1)' }),
    ]);
    expect((await deps.store.openIncidentFor('fraud-scorer'))?.sourceUrl).toBe(graph);
    const other = await deps.store.openIncidentFor('churn-predictor');
    expect(other?.model).toBe('churn-predictor');
    expect(other?.sourceUrl).toBeUndefined();
  });

  it('attaches a second alert of the same model and raises the severity', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    await ingestAlerts(deps, [
      firing('fraud-scorer', now, { labels: { model: 'fraud-scorer', severity: 'warning' } }),
    ]);
    const [second] = await ingestAlerts(deps, [
      firing('fraud-scorer', now, {
        fingerprint: 'other',
        labels: { model: 'fraud-scorer', severity: 'critical' },
      }),
    ]);
    expect(second).toMatchObject({ outcome: 'attached', incidentId: 'INC-1' });
    const incident = await deps.store.getIncident('INC-1');
    expect(incident?.alerts.map((alert) => alert.fingerprint)).toEqual(['fp-fraud-scorer', 'other']);
    expect(incident?.severity).toBe(1);
    expect((await deps.store.list('INC-1')).map((entry) => entry.type)).toEqual([
      'incident.opened',
      'alert.attached',
    ]);
    // The channel is told (and paging sees it), so the message does not keep showing SEV-3.
    expect(deps.notifier.ofType('incident.updated')).toEqual([
      expect.objectContaining({
        incident: expect.objectContaining({ id: 'INC-1', severity: 1 }),
        text: 'severity raised from SEV-3 to SEV-1 by a joining alert',
        severityRaisedFrom: 3,
      }),
    ]);
    await ingestAlerts(deps, [firing('fraud-scorer', now, { fingerprint: 'third' })]);
    expect(deps.notifier.ofType('incident.updated')).toHaveLength(1);
  });

  it('opens one incident for two concurrent alerts of one model, and drops the spare deadline', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    const results = await Promise.all([
      ingestAlerts(deps, [firing('fraud-scorer', now, { fingerprint: 'a' })]),
      ingestAlerts(deps, [firing('fraud-scorer', now, { fingerprint: 'b' })]),
    ]);
    const outcomes = results
      .flat()
      .map((result) => result.outcome)
      .sort();
    expect(outcomes).toEqual(['attached', 'opened']);
    expect(await deps.store.listIncidents({})).toHaveLength(1);
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toEqual([
      'INC-1:triage-run',
      'INC-1:triage',
    ]);
  });

  it('treats a re-sent alert as a duplicate, also after its incident is over', async () => {
    const deps = makeDeps();
    const alert = firing('fraud-scorer', deps.clock.now());
    await ingestAlerts(deps, [alert]);
    expect((await ingestAlerts(deps, [alert]))[0]?.outcome).toBe('duplicate');

    await mutateIncident(deps.store, 'INC-1', (incident) =>
      decide(incident, {
        kind: 'not-rollback',
        by: 'U1',
        at: deps.clock.now(),
        reason: 'upstream outage',
        trigger: 'cli',
      }),
    );
    deps.clock.advance(4 * 3_600_000); // Alertmanager's repeat_interval
    expect((await ingestAlerts(deps, [alert]))[0]).toMatchObject({
      outcome: 'duplicate',
      incidentId: 'INC-1',
    });
    expect(await deps.store.listIncidents({})).toHaveLength(1);

    const [fresh] = await ingestAlerts(deps, [{ ...alert, startsAt: deps.clock.now() }]);
    expect(fresh).toMatchObject({ outcome: 'opened', incidentId: 'INC-2' });
  });

  it('records a resolved alert once and keeps the incident open', async () => {
    const deps = makeDeps();
    const alert = firing('fraud-scorer', deps.clock.now());
    await ingestAlerts(deps, [alert]);
    const resolved = { ...alert, status: 'resolved' as const, endsAt: deps.clock.now() + 1000 };
    expect((await ingestAlerts(deps, [resolved]))[0]?.outcome).toBe('resolved');
    expect((await ingestAlerts(deps, [resolved]))[0]?.outcome).toBe('ignored');
    const incident = await deps.store.getIncident('INC-1');
    expect(incident?.phase).toBe('triage');
    expect(incident?.alerts[0]?.resolvedAt).toBe(deps.clock.now() + 1000);
    expect((await deps.store.list('INC-1')).filter((entry) => entry.type === 'alert.resolved')).toHaveLength(
      1,
    );
  });

  it('names an incident for an ignored resolution only when the incident has that alert', async () => {
    // A resolution the open incident never had read `ignored` with that incident's id, as if it were one of its.
    const deps = makeDeps();
    const alert = firing('fraud-scorer', deps.clock.now());
    await ingestAlerts(deps, [alert]);
    const resolved = { ...alert, status: 'resolved' as const, endsAt: deps.clock.now() };
    const stranger = { ...resolved, fingerprint: 'fp-other-rule', name: 'ModelLatencyHigh' };
    expect(await ingestAlerts(deps, [stranger])).toEqual([
      { fingerprint: 'fp-other-rule', model: 'fraud-scorer', outcome: 'ignored' },
    ]);
    expect(await ingestAlerts(deps, [resolved, stranger])).toEqual([
      { fingerprint: 'fp-fraud-scorer', model: 'fraud-scorer', outcome: 'resolved', incidentId: 'INC-1' },
      { fingerprint: 'fp-other-rule', model: 'fraud-scorer', outcome: 'ignored' },
    ]);
    // Noted already: ignored, and it is that incident's.
    expect(await ingestAlerts(deps, [resolved, stranger])).toEqual([
      { fingerprint: 'fp-fraud-scorer', model: 'fraud-scorer', outcome: 'ignored', incidentId: 'INC-1' },
      { fingerprint: 'fp-other-rule', model: 'fraud-scorer', outcome: 'ignored' },
    ]);
  });

  it('does not let a late resolution of an earlier episode resolve the alert that fired again', async () => {
    const deps = makeDeps();
    const first = firing('fraud-scorer', deps.clock.now());
    await ingestAlerts(deps, [first]);
    const resolvedFirst = { ...first, status: 'resolved' as const, endsAt: deps.clock.now() };
    await ingestAlerts(deps, [resolvedFirst]);
    deps.clock.advance(60_000);
    const again = firing('fraud-scorer', deps.clock.now());
    expect((await ingestAlerts(deps, [again]))[0]?.outcome).toBe('attached');

    // The other Alertmanager of an HA pair delivers the first episode's resolution again.
    expect((await ingestAlerts(deps, [resolvedFirst]))[0]?.outcome).toBe('ignored');
    const refs = (await deps.store.getIncident('INC-1'))?.alerts;
    expect(refs?.map((ref) => [ref.startsAt, ref.resolvedAt])).toEqual([
      [first.startsAt, resolvedFirst.endsAt],
      [again.startsAt, undefined],
    ]);
  });

  it('counts a generic alert without startsAt posted again while its incident is open as a duplicate', async () => {
    const deps = makeDeps();
    const body = { model: 'fraud-scorer', severity: 'critical', summary: 'error rate above 5%' };
    expect((await ingestAlerts(deps, parseGeneric(body)))[0]?.outcome).toBe('opened');
    deps.clock.advance(1_500); // the sender's retry after a timeout, or another replica's copy
    expect((await ingestAlerts(deps, parseGeneric(body)))[0]).toMatchObject({
      outcome: 'duplicate',
      incidentId: 'INC-1',
    });
    // A different alert (another summary, so another fingerprint) still joins.
    const other = { ...body, summary: 'p99 latency above 250ms' };
    expect((await ingestAlerts(deps, parseGeneric(other)))[0]?.outcome).toBe('attached');
    expect((await deps.store.getIncident('INC-1'))?.alerts).toHaveLength(2);
    // Its resolution, also without startsAt, is recorded against it.
    const resolved = { ...body, status: 'resolved' };
    expect((await ingestAlerts(deps, parseGeneric(resolved)))[0]?.outcome).toBe('resolved');

    // Once the incident is over, a post cannot be told from a new episode: it opens a new incident.
    await mutateIncident(deps.store, 'INC-1', (incident) =>
      decide(incident, {
        kind: 'not-rollback',
        by: 'U1',
        at: deps.clock.now(),
        reason: 'noise',
        trigger: 'cli',
      }),
    );
    expect((await ingestAlerts(deps, parseGeneric(body)))[0]).toMatchObject({
      outcome: 'opened',
      incidentId: 'INC-2',
    });
  });

  it('answers unrouted for alerts no runbook matches, and stores nothing', async () => {
    const deps = makeDeps();
    const [result] = await ingestAlerts(deps, [firing('unknown-model', deps.clock.now())]);
    expect(result).toEqual({ fingerprint: 'fp-unknown-model', outcome: 'unrouted' });
    expect(await deps.store.listIncidents({})).toEqual([]);
    expect(await deps.store.pending()).toEqual([]);
    expect(await metricValue(deps.metrics, 'rollbot_alerts_received_total', { status: 'unrouted' })).toBe(1);
  });

  it('routes by the runbook’s alerts.match labels and its severity mapping', async () => {
    const ranker = makeRunbook(
      'search-ranker',
      'alerts: { match: { service: search } }\nseverity: { label: priority, map: { P1: 1 } }',
    );
    const deps = makeDeps({ runbooks: [ranker] });
    const [result] = await ingestAlerts(deps, [
      firing('x', deps.clock.now(), { labels: { service: 'search', priority: 'p1' } }),
    ]);
    expect(result).toMatchObject({ outcome: 'opened', model: 'search-ranker' });
    expect((await deps.store.getIncident('INC-1'))?.severity).toBe(1);
  });

  it('takes a generic alert’s own severity, whatever label the runbook reads severity from', async () => {
    const ranker = makeRunbook('search-ranker', 'severity: { label: priority, map: { P1: 1 }, default: 4 }');
    const deps = makeDeps({ runbooks: [ranker] });
    const body = { model: 'search-ranker', severity: 'critical', summary: 'NDCG dropped' };
    expect((await ingestAlerts(deps, parseGeneric(body)))[0]?.outcome).toBe('opened');
    // The sender said critical in the one field the generic format has for it: not the runbook's default.
    expect((await deps.store.getIncident('INC-1'))?.severity).toBe(1);
  });
});
