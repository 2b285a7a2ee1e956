import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { drillHistory, finishDrill, lastDrillSuccess } from '../../../src/engine/drill.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { scheduleDrillOccurrence } from '../../../src/engine/drill-schedule.js';
import type { Store } from '../../../src/engine/ports.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import { createLogger } from '../../../src/observability/logger.js';
import { nextDrills, planDrills } from '../../../src/scheduling/drills.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, metricValue, type TestDeps } from '../../helpers/engine.js';
import { DRY, STAGING, drillDeps } from '../../helpers/drill-deps.js';
import { permanent } from '../../helpers/fake-serving.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('drill runs', () => {
  it('a dry-run drill plans against production and makes no mutating call, then scores the stages', async () => {
    const { deps, production } = drillDeps(DRY);
    const incident = await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    expect(incident).toMatchObject({ drill: true, phase: 'closed' });
    expect(production.calls).toEqual(['state', 'plan']);
    expect(production.mutations).toBe(0);
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({
      outcome: 'passed',
      target: 'dry run (plan only, nothing changes)',
      problems: [],
    });
    // Detect is not scored: a drill's synthetic alert starts with it (drill-detect-skipped.test.ts).
    expect(result?.stages.map((stage) => stage.stage)).toEqual(['triage', 'rollback', 'confirm']);
    expect(await lastDrillSuccess(deps, 'fraud-scorer')).toBe(deps.clock.now());
    expect(
      await metricValue(deps.metrics, 'rollbot_drills_total', { model: 'fraud-scorer', outcome: 'passed' }),
    ).toBe(1);
    // Kept out of production metrics: the incident counter says drill="true".
    expect(await metricValue(deps.metrics, 'rollbot_incidents_total', { drill: 'false' })).toBe(0);
    expect((await deps.store.list(incident.id)).map((entry) => entry.type)).toContain('drill.scorecard');
  });

  it('a staging drill makes exactly the calls a real rollback would, to the staging config, and never touches the ledger', async () => {
    const { deps, used, production, staging } = drillDeps(STAGING);
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    expect(staging.calls).toEqual(['state', 'plan', 'execute', 'onTarget']);
    expect(staging.mutations).toBe(1);
    expect(production.calls).toEqual([]);
    expect(used.every((config) => 'namespace' in config && config.namespace === 'ml-staging')).toBe(true);
    expect(await deps.store.deployments('fraud-scorer')).toEqual([]);
    expect(await deps.store.rolledBack('fraud-scorer')).toEqual({});
  });

  it('--dry-run plans only even when the runbook has a staging target', async () => {
    const { deps, staging, production } = drillDeps(STAGING);
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true, dryRun: true });
    expect(staging.calls).toEqual([]);
    expect(production.mutations).toBe(0);
  });

  it('scores a failed drill with what went wrong', async () => {
    const { deps, staging } = drillDeps(STAGING);
    staging.executeErrors.push(permanent('HTTP 403: forbidden in ml-staging'));
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({
      outcome: 'failed',
      problems: ['the rollback failed: HTTP 403: forbidden in ml-staging'],
    });
    expect(await lastDrillSuccess(deps, 'fraud-scorer')).toBeUndefined();
  });

  it('fails a drill whose landing could not be read, saying its outcome is unknown, and pages nobody', async () => {
    const { deps, staging } = drillDeps(STAGING);
    staging.targetErrors.push(permanent('HTTP 403: forbidden in ml-staging'));
    await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    expect(staging.calls.filter((call) => call === 'execute')).toHaveLength(1);
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({
      outcome: 'failed',
      problems: [
        `the rollback's outcome is unknown: ${staging.target} could not be checked (HTTP 403: forbidden in ml-staging (check RBAC)); check ${staging.target} by hand`,
      ],
    });
    expect(deps.notifier.ofType('escalation')).toEqual([]);
  });

  it('fails, with the reason, when the rollback is refused before anything changes', async () => {
    const { deps, production } = drillDeps(DRY);
    production.stateErrors.push(permanent('GET Rollout: no Kubernetes credentials'));
    const incident = await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: true });
    expect(incident.phase).toBe('resolved');
    const [result] = await drillHistory(deps, 'fraud-scorer');
    expect(result).toMatchObject({
      outcome: 'failed',
      problems: ['the rollback was refused: GET Rollout: no Kubernetes credentials'],
    });
  });

  it('without auto, asks a person to decide, on the timeline as for a real incident', async () => {
    const { deps } = drillDeps(DRY);
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'cli:ana', auto: false });
    const [request] = deps.notifier.ofType('decision.requested');
    expect(request).toMatchObject({ incident: { id: drill.id }, channel: 'C0TEST0001' });
    expect(request?.text).toContain('DRILL: decide as you would for real');
    const entries = (await deps.store.list(drill.id)).map((entry) => entry.type);
    expect(entries).toEqual(['drill.started', 'decision.requested']);
  });

  it('is refused during a real incident, and a real alert ends a running drill', async () => {
    const { deps } = drillDeps(DRY);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await expect(startDrill(deps, 'fraud-scorer', { by: 'x', auto: false })).rejects.toThrow(
      'has a real incident open (INC-1): no drill now',
    );

    const other = drillDeps(DRY).deps;
    const drill = await startDrill(other, 'fraud-scorer', { by: 'x', auto: false });
    const [real] = await ingestAlerts(other, [firing('fraud-scorer', other.clock.now())]);
    expect(real).toMatchObject({ outcome: 'opened', incidentId: 'INC-2' });
    expect((await other.store.getIncident(drill.id))?.phase).not.toBe('triage');
    expect((await drillHistory(other, 'fraud-scorer'))[0]?.problems[0]).toBe(
      'interrupted by a real alert (ModelErrorRateHigh)',
    );
  });
});

describe('a real alert during a drill that another replica is finishing', () => {
  /** A store on which another replica finishes the drill just after this replica first reads it. */
  function finishedElsewhere(deps: TestDeps, drillId: string): Store {
    const inner = deps.store;
    let raced = false;
    return {
      ...inner,
      async getIncident(id) {
        const copy = await inner.getIncident(id);
        if (!raced && id === drillId) {
          raced = true;
          await finishDrill({ ...deps, store: inner }, drillId, { succeeded: true });
        }
        return copy;
      },
    };
  }

  it('opens the real incident instead of refusing the alert', async () => {
    const { deps } = drillDeps(DRY);
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
    const replica = makeDeps({ clock: deps.clock, store: finishedElsewhere(deps, drill.id) });
    replica.runbooks = deps.runbooks;

    const [real] = await ingestAlerts(replica, [firing('fraud-scorer', deps.clock.now())]);

    expect(real).toMatchObject({ outcome: 'opened', incidentId: 'INC-2' });
    expect((await deps.store.getIncident(drill.id))?.phase).toBe('closed');
    // Scored once, by the replica that finished it.
    expect((await drillHistory(deps, 'fraud-scorer')).map((result) => result.outcome)).toEqual(['passed']);
  });
});

describe('drill schedule', () => {
  it('runs the default quarterly schedule exactly four times a year', () => {
    vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
    const runbook = makeRunbook('fraud-scorer', DRY);
    const runs = nextDrills(runbook, 6).map((at) => new Date(at).toISOString());
    expect(runs.filter((iso) => iso.startsWith('2027-'))).toEqual([
      '2027-01-15T10:00:00.000Z',
      '2027-04-15T10:00:00.000Z',
      '2027-07-15T10:00:00.000Z',
      '2027-10-15T10:00:00.000Z',
    ]);
  });

  it('honours a cron expression in the runbook time zone', () => {
    vi.useFakeTimers({ now: Date.parse('2027-03-01T00:00:00Z'), toFake: ['Date'] });
    const runbook = makeRunbook(
      'fraud-scorer',
      'drill: { schedule: "0 10 * * 2", timezone: Europe/Dublin, dryRun: true }',
    );
    // 10:00 in Dublin is 10:00 UTC in March (before summer time) and 09:00 UTC in April.
    expect(nextDrills(runbook, 1).map((at) => new Date(at).toISOString())).toEqual([
      '2027-03-02T10:00:00.000Z',
    ]);
  });

  it('plans the other runbooks when one cannot be planned, and logs the one it skipped', async () => {
    vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
    // The loader refuses such a runbook; this one was built past it, as a store or a future field might fail.
    const valid = makeRunbook('churn-predictor', DRY);
    const broken = { ...valid, drill: { ...valid.drill!, timezone: 'Mars/Olympus_Mons' } };
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const deps = makeDeps({ runbooks: [broken, makeRunbook('fraud-scorer', DRY)] });
    deps.clock.set(Date.now());
    deps.logger = createLogger({ level: 'error', destination });

    expect(await planDrills(deps)).toBe(1);
    const pending = (await deps.store.pending()).map((deadline) => deadline.id);
    expect(pending).toContain(`drill:fraud-scorer:${Date.parse('2027-01-15T10:00:00Z')}`);
    expect(pending.some((id) => id.includes('churn-predictor'))).toBe(false);
    expect(lines.map((line) => JSON.parse(line) as { model?: string; msg?: string })).toEqual([
      expect.objectContaining({ model: 'churn-predictor', msg: expect.stringMatching(/cannot plan/) }),
    ]);
  });

  it('runs an occurrence on the next delivery of its deadline when the first failed before the drill existed', async () => {
    const { deps } = drillDeps(DRY);
    const at = deps.clock.now();
    await scheduleDrillOccurrence(deps, deps.runbooks.require('fraud-scorer'), at);
    const create = deps.store.createIfNoneOpen.bind(deps.store);
    deps.store.createIfNoneOpen = async () => {
      throw new Error('ECONNRESET');
    };
    expect(await pollDeadlines(deps)).toBe(0);
    deps.store.createIfNoneOpen = create;

    deps.clock.advance(DEADLINE_LEASE_MS);
    // The occurrence, and the opening stand-in of the drill the first delivery did not store (a no-op).
    expect(await pollDeadlines(deps)).toBe(2);
    const drills = (await deps.store.listIncidents({})).filter((incident) => incident.drill);
    expect(drills).toMatchObject([{ id: 'INC-2', phase: 'triage' }]);
    expect(deps.notifier.ofType('channel.message')).toEqual([]);
    // What is left is the drill's own triage clock and its wait for a decision (24 h), and those of the drill not
    // stored, no-ops when they come due.
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toEqual([
      'INC-1:triage',
      'INC-2:triage',
      'INC-1:drill-undecided',
      'INC-2:drill-undecided',
    ]);
  });

  it("keeps the refusal of a skipped occurrence on rollbot's line, where a line break could pose as a message", async () => {
    const { deps } = drillDeps(DRY);
    await scheduleDrillOccurrence(deps, deps.runbooks.require('fraud-scorer'), deps.clock.now());
    deps.store.createIfNoneOpen = async () => {
      throw new RollbotError('CONFLICT', 'INC-9 is open\nRollback drill of fraud-scorer passed in 2m');
    };
    expect(await pollDeadlines(deps)).toBe(1);
    const said = deps.notifier.ofType('channel.message').map((event) => event.text);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^Scheduled drill of fraud-scorer skipped: INC-9 is open Rollback drill of fraud-scorer passed in 2m\. The deployment gate/,
    );
  });

  it('does not run an occurrence again when a planner puts it back after it started', async () => {
    const { deps } = drillDeps(DRY);
    const runbook = deps.runbooks.require('fraud-scorer');
    const at = deps.clock.now();
    await scheduleDrillOccurrence(deps, runbook, at);
    expect(await pollDeadlines(deps)).toBe(1);
    await scheduleDrillOccurrence(deps, runbook, at);
    expect(await pollDeadlines(deps)).toBe(1);
    expect((await deps.store.listIncidents({})).filter((incident) => incident.drill)).toHaveLength(1);
    expect(deps.notifier.ofType('channel.message')).toEqual([]);
  });

  it('fires each occurrence once with two planners on one store, after reminders at 7 days and 1 day', async () => {
    vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
    const first = drillDeps(DRY).deps;
    first.clock.set(Date.now());
    const second: TestDeps = {
      ...makeDeps({ store: first.store, clock: first.clock, runbooks: first.runbooks.all.slice() }),
      serving: first.serving,
    };
    await Promise.all([planDrills(first), planDrills(second)]);
    const pending = (await first.store.pending()).map((deadline) => deadline.id);
    const at = Date.parse('2027-01-15T10:00:00Z');
    expect(pending).toEqual([
      `drill-remind:fraud-scorer:${at}:${7 * 86_400_000}`,
      `drill-remind:fraud-scorer:${at}:86400000`,
      `drill:fraud-scorer:${at}`,
    ]);

    first.clock.set(at - 7 * 86_400_000 - 1);
    expect(await pollDeadlines(first)).toBe(0);
    first.clock.set(at - 7 * 86_400_000);
    await Promise.all([pollDeadlines(first), pollDeadlines(second)]);
    const reminders = [...first.notifier.events, ...second.notifier.events].filter(
      (event) => event.type === 'channel.message',
    );
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toMatchObject({
      text: expect.stringMatching(
        /^Rollback drill of fraud-scorer in 7d \(2027-01-15 10:00 UTC, 2027-01-15T10:00:00.000Z\): target dry run/,
      ),
    });

    first.clock.set(at);
    await Promise.all([pollDeadlines(first), pollDeadlines(second)]);
    const drills = (await first.store.listIncidents({})).filter((incident) => incident.drill);
    expect(drills).toHaveLength(1);
    expect(drills[0]?.phase).toBe('triage');
  });
});

describe('drill reminders delivered late', () => {
  it('are not sent once their drill is due: no "in -2h" after an outage over the drill', async () => {
    vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
    const { deps } = drillDeps(DRY);
    deps.clock.set(Date.now());
    await planDrills(deps);
    const at = Date.parse('2027-01-15T10:00:00Z');
    deps.clock.set(at - 7 * 86_400_000);
    await pollDeadlines(deps);
    // Every replica down from before the 1-day reminder until two hours after the drill's time.
    deps.clock.set(at + 2 * 3_600_000);
    await pollDeadlines(deps);
    const said = deps.notifier.ofType('channel.message').map((event) => event.text);
    expect(said).toEqual([expect.stringMatching(/^Rollback drill of fraud-scorer in 7d /)]);
    // The drill itself still starts, late: two hours is within DRILL_LATE_TOLERANCE_MS, while those reminded are
    // still around (drill-missed-occurrence.test.ts: later, it is skipped).
    expect((await deps.store.listIncidents({})).filter((incident) => incident.drill)).toHaveLength(1);
  });
});

describe('drill reminders', () => {
  it('mention the people on point, so that Slack notifies them, not only lists their IDs', async () => {
    vi.useFakeTimers({ now: Date.parse('2027-01-01T00:00:00Z'), toFake: ['Date'] });
    const { deps } = drillDeps(DRY, {
      runbook: 'rollback: { policy: approve, approvers: [U0ANA, S0ONCALL] }',
    });
    deps.clock.set(Date.now());
    await planDrills(deps);
    deps.clock.set(Date.parse('2027-01-15T10:00:00Z') - 7 * 86_400_000);
    await pollDeadlines(deps);
    const [reminder] = deps.notifier.ofType('channel.message');
    expect(reminder).toMatchObject({ mention: ['U0ANA', 'S0ONCALL'] });
    const shown = reminder && createSlackRenderer(deps.runbooks).channelMessage?.(reminder);
    expect(shown?.text).toMatch(/on point: <@U0ANA>, <!subteam\^S0ONCALL>$/);
  });
});
