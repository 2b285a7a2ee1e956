import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { rollback, type RollbackRequest } from '../../../src/engine/rollback.js';
import { ChangeFailed } from '../../../src/engine/serving-port.js';
import { attemptDeadline } from '../../../src/engine/retry.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createCommandAdapter } from '../../../src/serving/command/adapter.js';
import { commandConfig } from '../../../src/serving/command/config.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, metricValue, type TestDeps, recordDeployments } from '../../helpers/engine.js';
import { permanent, transient } from '../../helpers/fake-serving.js';

const request: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'p99 doubled after v42',
  by: 'cli:ana',
  trigger: 'cli',
};

async function types(deps: TestDeps, id: string) {
  return (await deps.store.list(id)).map((entry) => entry.type);
}

describe('rollback without an open incident', () => {
  it('opens a manual incident, flips traffic, waits for it and moves to confirm', async () => {
    const deps = makeDeps();
    const seen: string[] = [];
    const result = await rollback(deps, request, (step) => seen.push(step.kind));

    expect(result).toMatchObject({ outcome: 'succeeded', model: 'fraud-scorer', incidentId: 'INC-1' });
    expect(result.plan).toMatchObject({ from: 'v42', to: 'v41', regime: 'traffic-flip', etaMs: 30_000 });
    expect(seen).toEqual(['state', 'plan', 'executing', 'executed', 'on-target']);
    expect(result.steps[1]?.text).toBe('plan: v42 → v41, traffic-flip, ETA 30s: flip traffic to v41');
    expect(deps.fake.mutations).toBe(1);
    expect(deps.fake.contexts[0]).toMatchObject({
      idempotencyKey: 'INC-1:rollback:1',
      incidentId: 'INC-1',
      fence: 1,
    });

    const incident = await deps.store.getIncident('INC-1');
    expect(incident).toMatchObject({ phase: 'confirm', summary: 'manual rollback: p99 doubled after v42' });
    expect(incident?.decision).toMatchObject({
      kind: 'rollback',
      by: 'cli:ana',
      trigger: 'cli',
      reason: 'p99 doubled after v42',
    });
    expect(incident?.rollback).toMatchObject({
      attempt: 1,
      status: 'succeeded',
      target: 'fake ml-prod/model',
    });
    expect(incident?.stages.rollback.endedAt).toBeDefined();
    expect(await types(deps, 'INC-1')).toEqual([
      'incident.opened',
      'rollback.started',
      'rollback.executed',
      'rollback.succeeded',
      'confirm.manual',
    ]);
    expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();
    // The layer's version was not in the ledger: it is recorded as observed, then marked rolled back.
    expect(await deps.store.deployments('fraud-scorer')).toEqual([
      expect.objectContaining({
        version: 'v42',
        previousVersion: 'v41',
        strategy: 'observed',
        by: 'serving',
      }),
    ]);
    expect((await deps.store.rolledBack('fraud-scorer')).v42?.incidentId).toBe('INC-1');
    expect(
      await metricValue(deps.metrics, 'rollbot_rollbacks_total', {
        model: 'fraud-scorer',
        outcome: 'succeeded',
        trigger: 'cli',
      }),
    ).toBe(1);
    // The rollback target stays (cancelling it could take a later attempt's): come due, it escalates nothing.
    expect((await deps.store.pending()).map((deadline) => deadline.id).sort()).toEqual([
      'INC-1:confirm',
      'INC-1:rollback',
    ]);
    deps.clock.advance(incident?.targets.rollback ?? 0);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(await types(deps, 'INC-1')).not.toContain('stage.breached');
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toEqual(['INC-1:confirm']);
  });

  it('marks the version rolled back from in the ledger, so it is never the known-good again', async () => {
    const deps = makeDeps();
    await deps.store.recordDeployment({
      model: 'fraud-scorer',
      version: 'v40',
      strategy: 'canary',
      at: 1,
      by: 'api',
    });
    await deps.store.recordDeployment({
      model: 'fraud-scorer',
      version: 'v42',
      strategy: 'canary',
      at: 2,
      by: 'api',
    });
    const result = await rollback(deps, request);
    // The ledger's known-good (v40) wins over the layer's own previous (v41).
    expect(result.plan.to).toBe('v40');
    const ledger = await deps.store.deployments('fraud-scorer');
    expect(ledger.map((d) => [d.version, d.rolledBackAt !== undefined])).toEqual([
      ['v42', true],
      ['v40', false],
    ]);
  });

  it('takes --to over any known-good', async () => {
    const deps = makeDeps();
    expect((await rollback(deps, { ...request, to: 'v39' })).plan.to).toBe('v39');
    expect(deps.fake.current).toBe('v39');
  });
});

describe('rollback during an incident', () => {
  it('records the decision on the open incident and ends triage', async () => {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    deps.clock.advance(120_000);
    const result = await rollback(deps, { ...request, by: 'U0ONCALL', trigger: 'slack' });
    expect(result.incidentId).toBe('INC-1');
    const incident = await deps.store.getIncident('INC-1');
    expect(incident?.stages.triage.endedAt).toBe(incident!.openedAt + 120_000);
    expect(incident?.decision).toMatchObject({ by: 'U0ONCALL', trigger: 'slack' });
    expect(await types(deps, 'INC-1')).toEqual([
      'incident.opened',
      'rollback.started',
      'rollback.executed',
      'rollback.succeeded',
      'confirm.manual',
    ]);
    expect(await deps.store.listIncidents({})).toHaveLength(1);
  });
});

describe('dry run', () => {
  it('shows the plan and changes nothing: no lock, no incident, no write', async () => {
    const deps = makeDeps();
    const result = await rollback(deps, { ...request, dryRun: true });
    expect(result).toMatchObject({ outcome: 'dry-run', plan: { from: 'v42', to: 'v41' } });
    expect(result.incidentId).toBeUndefined();
    expect(await deps.store.deployments('fraud-scorer')).toEqual([]);
    expect(deps.fake.calls).toEqual(['state', 'plan']);
    expect(await deps.store.listIncidents({})).toEqual([]);
    expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();
  });
});

describe('one rollback at a time', () => {
  it('refuses a second rollback while the lock is held, saying by whom and since when', async () => {
    const deps = makeDeps();
    await deps.store.acquire(
      'rollback:fraud-scorer',
      'U0OTHER via slack',
      60_000,
      Date.parse('2026-11-22T01:59:00Z'),
    );
    await expect(rollback(deps, request)).rejects.toThrow(
      'rollback of fraud-scorer by U0OTHER via slack in progress since 2026-11-22T01:59:00.000Z',
    );
    expect(deps.fake.calls).toEqual([]);
    expect(await deps.store.listIncidents({})).toEqual([]);
  });

  it('executes exactly once when two rollbacks race', async () => {
    const deps = makeDeps();
    const results = await Promise.allSettled([
      rollback(deps, request),
      rollback(deps, { ...request, by: 'U0TWO', trigger: 'slack' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isRollbotError(refused.reason, 'LOCKED')).toBe(true);
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });
});

describe('failures', () => {
  it('retries transient errors inside the rollback target, on the timeline', async () => {
    const deps = makeDeps();
    deps.fake.executeErrors.push(transient(), transient());
    const result = await rollback(deps, request);
    expect(result.outcome).toBe('succeeded');
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(3);
    expect((await types(deps, 'INC-1')).filter((type) => type === 'rollback.retry')).toHaveLength(2);
  });

  it('reports a permanent error at once, escalates, and never claims success', async () => {
    const deps = makeDeps();
    deps.fake.executeErrors.push(permanent());
    const result = await rollback(deps, request);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: { code: 'SERVING_FAILED', message: 'HTTP 403: forbidden', hint: 'check RBAC' },
    });
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
    const incident = await deps.store.getIncident('INC-1');
    expect(incident).toMatchObject({
      phase: 'rollback',
      rollback: { status: 'failed', error: 'HTTP 403: forbidden' },
    });
    expect(deps.notifier.ofType('escalation')[0]?.text).toContain(
      'rollback of fraud-scorer to v41 FAILED: HTTP 403: forbidden',
    );
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'failed' })).toBe(1);
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'succeeded' })).toBe(0);
    expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();
  });

  it('gives up when transient errors last past the rollback target', async () => {
    const deps = makeDeps();
    deps.fake.executeErrors.push(...Array.from({ length: 50 }, () => transient()));
    const result = await rollback(deps, request);
    expect(result).toMatchObject({ outcome: 'failed', error: { message: 'HTTP 503: busy' } });
    const incident = await deps.store.getIncident('INC-1');
    // Backoff 1s, 2s, 4s … stops before the next wait would cross the 5-minute target.
    expect(deps.clock.now() - incident!.stages.rollback.startedAt!).toBeLessThan(5 * 60_000);
    expect(deps.fake.calls.filter((call) => call === 'execute').length).toBeGreaterThan(3);
  });

  it('fails when the layer never reports traffic on the target', async () => {
    const deps = makeDeps();
    deps.fake.stuck = true;
    const result = await rollback(deps, request);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: { message: 'traffic did not reach v41 within 5m of this attempt (the plan expected 30s)' },
    });
  });

  it('waits for a slow layer to report the target', async () => {
    const deps = makeDeps();
    deps.fake.slowPolls = 3;
    const result = await rollback(deps, request);
    expect(result.outcome).toBe('succeeded');
    expect(result.steps.filter((step) => step.kind === 'waiting')).toHaveLength(3);
  });

  it('waits past the rollback target for a redeploy whose ETA is longer, and reports it landed', async () => {
    const deps = makeDeps();
    deps.fake.regime = 'redeploy'; // ETA 10 minutes; the target is 5
    deps.fake.slowPolls = 400; // the layer reports the target after about 6m40s
    const result = await rollback(deps, request);
    expect(result.outcome).toBe('succeeded');
    expect(result.steps.at(-1)?.text).toBe('traffic is on v41 after 6m 40s (target 5m); confirming');
  });

  it('records a rollback that landed past its target as a breach once the target comes due, paging nobody', async () => {
    const deps = makeDeps();
    deps.fake.regime = 'redeploy';
    deps.fake.slowPolls = 400; // 6m40s against a target of 5m, with no poller running meanwhile
    expect((await rollback(deps, request)).outcome).toBe('succeeded');
    await pollDeadlines(deps);
    const breach = (await deps.store.list('INC-1')).find((entry) => entry.type === 'stage.breached');
    expect(breach?.data).toMatchObject({ stage: 'rollback', delivered: false, ended: true });
    expect(breach?.text).toContain('it had ended by then: nobody was paged');
    expect(deps.notifier.events.filter((event) => event.type === 'escalation')).toEqual([]);
  });

  it('gives up on a stuck redeploy at twice its ETA, not at the rollback target', async () => {
    const deps = makeDeps();
    deps.fake.regime = 'redeploy';
    deps.fake.stuck = true;
    const result = await rollback(deps, request);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: { message: 'traffic did not reach v41 within 20m of this attempt (the plan expected 10m)' },
    });
  });

  it('gives a retry after the rollback target its own time: a flip made at minute 6 is a success', async () => {
    const deps = makeDeps();
    deps.fake.executeErrors.push(permanent()); // attempt 1: forbidden; someone fixes the RBAC
    expect((await rollback(deps, request)).outcome).toBe('failed');
    deps.clock.advance(6 * 60_000);
    deps.fake.executeErrors.push(transient()); // attempt 2 still gets its retries…
    deps.fake.slowPolls = 1; // …and its polls
    const retry = await rollback(deps, request);
    expect(retry).toMatchObject({ outcome: 'succeeded', incidentId: 'INC-1' });
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('confirm');
  });

  it('completes an attempt whose change landed after it gave up, instead of flipping back onto the bad version', async () => {
    const deps = makeDeps();
    deps.fake.stuck = true; // the flip is made, but the layer does not say so in time
    expect((await rollback(deps, request)).outcome).toBe('failed');
    expect(deps.fake.current).toBe('v41');
    deps.fake.stuck = false;
    // The layer now reads "v41 serves, v42 before it": a fresh plan would go to v42.
    const retry = await rollback(deps, request);
    expect(retry).toMatchObject({ outcome: 'succeeded', plan: { from: 'v42', to: 'v41' } });
    expect(retry.steps.find((step) => step.kind === 'plan')?.text).toContain(
      'v41 serves already: completing the rollback v42 → v41 (attempt 1 ended failed)',
    );
    expect(deps.fake.current).toBe('v41');
    expect(deps.fake.mutations).toBe(1);
    expect(Object.keys(await deps.store.rolledBack('fraud-scorer'))).toEqual(['v42']);
  });

  it('lets a person try again after a failure, as attempt 2', async () => {
    const deps = makeDeps();
    deps.fake.executeErrors.push(permanent());
    await rollback(deps, request);
    const retry = await rollback(deps, request);
    expect(retry).toMatchObject({ outcome: 'succeeded', incidentId: 'INC-1' });
    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({
      attempt: 2,
      status: 'succeeded',
    });
  });
});

describe('a landing that could not be read', () => {
  /** Everything the escalations of INC-1 said. */
  const escalations = (deps: TestDeps) => deps.notifier.ofType('escalation');

  it('leaves the outcome unknown after a 403 while reading the landing: escalated once, never executed again', async () => {
    const deps = makeDeps();
    deps.fake.targetErrors.push(permanent()); // the change is made; reading whether it landed is forbidden
    const result = await rollback(deps, request);
    expect(result).toMatchObject({
      outcome: 'unknown',
      error: {
        code: 'SERVING_FAILED',
        hint: 'check what fake ml-prod/model serves before anyone runs the rollback again',
      },
    });
    expect(result.error?.message).toBe(
      'outcome unknown: the change to v41 was made, but fake ml-prod/model could not be checked (HTTP 403: forbidden (check RBAC))',
    );
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
    const incident = await deps.store.getIncident('INC-1');
    expect(incident).toMatchObject({ phase: 'rollback', rollback: { status: 'unknown' } });
    const entries = await deps.store.list('INC-1');
    expect(entries.map((entry) => entry.type)).not.toContain('rollback.failed');
    expect(entries.filter((entry) => entry.type === 'rollback.unknown').map((entry) => entry.data)).toEqual([
      { attempt: 1 },
      { attempt: 1, escalated: true, delivered: true },
    ]);
    expect(escalations(deps)).toHaveLength(1);
    expect(escalations(deps)[0]).toMatchObject({ about: 'outcome-unknown', mention: ['S0PLATFORM'] });
    expect(escalations(deps)[0]?.text).toBe(
      'rollback of fraud-scorer to v41: outcome unknown after the change was made; fake ml-prod/model could not be checked (HTTP 403: forbidden (check RBAC)). Check it, then run the rollback again (rollbot rollback fraud-scorer --reason …) or decide otherwise.',
    );
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(1);
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'failed' })).toBe(0);
    expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();

    // Later, the stand-ins and the rollback target come due: nothing is executed again, nor said twice.
    deps.clock.advance(30 * 60_000);
    await pollDeadlines(deps);
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
    expect(escalations(deps).filter((event) => event.about === 'outcome-unknown')).toHaveLength(1);
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(1);
  });

  it("has the settlement's stand-in re-read the layer when the escalation could not be sent: it finds it landed", async () => {
    const deps = makeDeps();
    deps.fake.targetErrors.push(permanent());
    deps.notifier.deliver = async () => {
      throw new Error('Slack is down');
    };
    await rollback(deps, request);
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
    // A minute on, the layer can be read again: the stand-in settles the attempt from what it shows.
    deps.clock.advance(61_000);
    await pollDeadlines(deps);
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('succeeded');
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'succeeded' })).toBe(1);
  });

  it('leaves the outcome unknown when reads of the landing kept failing with transient errors until the bound', async () => {
    const deps = makeDeps();
    deps.fake.targetErrors.push(...Array.from({ length: 50 }, () => transient()));
    const result = await rollback(deps, request);
    expect(result.error?.message).toContain('outcome unknown: the change to v41 was made');
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
    expect(escalations(deps)[0]?.about).toBe('outcome-unknown');
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });

  it('records a failure when the layer itself says the change failed (ChangeFailed)', async () => {
    const deps = makeDeps();
    deps.fake.targetErrors.push(
      new ChangeFailed('the update of endpoint fraud failed: out of capacity', { hint: 'check the quota' }),
    );
    const result = await rollback(deps, request);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: { message: 'the update of endpoint fraud failed: out of capacity', hint: 'check the quota' },
    });
    expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('failed');
    expect(await types(deps, 'INC-1')).not.toContain('rollback.unknown');
    expect(escalations(deps)[0]?.text).toContain(
      'rollback of fraud-scorer to v41 FAILED: the update of endpoint fraud failed: out of capacity',
    );
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'failed' })).toBe(1);
    expect(await metricValue(deps.metrics, 'rollbot_rollbacks_total', { outcome: 'unknown' })).toBe(0);
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
  });

  it('lets a person run it again after checking, as attempt 2, which completes the change already made', async () => {
    const deps = makeDeps();
    deps.fake.targetErrors.push(permanent());
    await rollback(deps, request);
    const retry = await rollback(deps, request);
    expect(retry).toMatchObject({ outcome: 'succeeded', plan: { from: 'v42', to: 'v41' } });
    expect(deps.fake.mutations).toBe(1);
    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({
      attempt: 2,
      status: 'succeeded',
    });
  });
});

describe('a layer that cannot say what it serves', () => {
  /** A command adapter without statusArgv: it trusts exit code 0 and reports no current version. */
  async function statusless(block: Record<string, unknown> = { argv: ['true', '{{to}}'] }) {
    const deps = makeDeps();
    const adapter = createCommandAdapter(commandConfig.parse({ adapter: 'command', ...block }), {
      model: 'fraud-scorer',
      env: process.env,
    });
    deps.serving = () => adapter;
    // CI recorded v41, then v42: v42 serves now, and it is the bad one.
    await deps.store.recordDeployment({
      model: 'fraud-scorer',
      version: 'v41',
      strategy: 'rolling',
      at: 1,
      by: 'api',
    });
    await deps.store.recordDeployment({
      model: 'fraud-scorer',
      version: 'v42',
      previousVersion: 'v41',
      strategy: 'rolling',
      at: 2,
      by: 'api',
    });
    return deps;
  }

  it("rolls back from the ledger's newest version to the one before, and says the current one was presumed", async () => {
    const deps = await statusless();
    const result = await rollback(deps, request);
    expect(result).toMatchObject({ outcome: 'succeeded', plan: { from: 'v42', to: 'v41' } });
    expect(result.steps.find((step) => step.kind === 'plan')?.text).toContain(
      'v42 is presumed current: the layer cannot say what it serves, and v42 is the newest deployment in the ledger not rolled back',
    );
    expect((await deps.store.rolledBack('fraud-scorer')).v42?.incidentId).toBe('INC-1');
  });

  it('fails a timed-out command at once instead of running it again: its effect is unknown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rollbot-timeout-'));
    try {
      const runs = join(dir, 'runs');
      // Says it ran, then hangs past the timeout: like a helm rollback stuck after its change went through.
      const argv = ['/bin/sh', '-c', 'echo "$2" >> "$1"; exec sleep 30', 'sh', runs, '{{to}}'];
      const deps = await statusless({ argv, timeout: '300ms' });
      const result = await rollback(deps, request);

      // Run once: a second helm rollback could undo the first.
      expect(readFileSync(runs, 'utf8')).toBe('v41\n');
      expect(result.outcome).toBe('failed');
      expect(result.error?.message).toContain('timed out after 300ms');
      expect(result.error?.message).toContain('its effect is unknown');
      expect(result.error?.hint).toContain('check what the serving layer serves');
      expect(result.error?.hint).toContain('add statusArgv');
      expect(result.error?.hint).toContain('raise timeout');
      expect(await types(deps, 'INC-1')).not.toContain('rollback.retry');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second click instead of toggling back onto the bad version', async () => {
    const deps = await statusless();
    await rollback(deps, request);
    await expect(rollback(deps, request)).rejects.toThrow('command true: no version to roll back to');
    expect((await deps.store.getIncident('INC-1'))?.rollback?.attempt).toBe(1);
  });
});

describe('a second rollback', () => {
  it('refuses to toggle back onto the version it rolled back from, unless named with --to', async () => {
    const deps = makeDeps();
    await rollback(deps, request);
    expect(deps.fake.current).toBe('v41');
    // The layer now remembers v42 as "previous": a second rollback must not flip back onto it.
    await expect(rollback(deps, request)).rejects.toMatchObject({
      message:
        'fraud-scorer was rolled back from v42 in INC-1 at 2026-11-22T02:00:00.000Z; rollbot will not roll it forward onto v42',
      // Named for every surface it can reach, not only the CLI's flag.
      hint: 'traffic is probably already on the known-good version (see INC-1); to go to v42 anyway, name it: /rollback fraud-scorer to v42 in Slack, rollbot rollback fraud-scorer --to v42, or toVersion in the API',
    });
    expect(deps.fake.mutations).toBe(1);
    expect((await rollback(deps, { ...request, to: 'v42' })).outcome).toBe('succeeded');
  });

  /** CI recorded v40, v41, v42: after one rollback, the last known-good is v40. */
  async function threeDeployments() {
    const deps = makeDeps();
    await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
    return deps;
  }

  it('refuses a request made from a version that no longer serves, naming who rolled back already', async () => {
    const deps = await threeDeployments();
    // Ana and Bob both saw "v42 → v41". Ana's rollback finishes; Bob submits 20 s later.
    const first = await rollback(deps, { ...request, by: 'U0ANA', trigger: 'slack', from: 'v42' });
    expect(first.plan).toMatchObject({ from: 'v42', to: 'v41' });
    deps.clock.advance(20_000);
    await expect(rollback(deps, { ...request, by: 'U0BOB', trigger: 'slack', from: 'v42' })).rejects.toThrow(
      'fraud-scorer serves v41 now, not v42 as when this rollback was asked for (rolled back from v42 by U0ANA in INC-1 at 2026-11-22T02:00:00.000Z); rollbot did not roll back again',
    );
    expect(deps.fake.mutations).toBe(1);
    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({ attempt: 1, by: 'U0ANA' });
  });

  it('still rolls back further on a fresh plan: from the version that serves now', async () => {
    const deps = await threeDeployments();
    await rollback(deps, { ...request, from: 'v42' });
    const further = await rollback(deps, { ...request, from: 'v41' });
    expect(further).toMatchObject({ outcome: 'succeeded', plan: { from: 'v41', to: 'v40' } });
    expect(deps.fake.current).toBe('v40');
  });

  it('refuses a repeat of a rollback that got there already (a modal pinned to its target)', async () => {
    const deps = makeDeps();
    await rollback(deps, { ...request, by: 'U0ANA', to: 'v41' });
    await expect(rollback(deps, { ...request, by: 'U0BOB', to: 'v41' })).rejects.toMatchObject({
      message:
        'fraud-scorer already serves v41: U0ANA rolled it back v42 → v41 in INC-1; nothing to roll back',
      hint: 'to roll back further, start a new rollback and check its plan, or name an older version: /rollback fraud-scorer to <version> in Slack, rollbot rollback fraud-scorer --to <version>, or toVersion in the API',
    });
    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({
      attempt: 1,
      status: 'succeeded',
    });
    expect(Object.keys(await deps.store.rolledBack('fraud-scorer'))).toEqual(['v42']);
  });
});

describe('the rollback target from the ledger', () => {
  it('is never a canary that was aborted before it took all the traffic', async () => {
    const deps = makeDeps();
    await recordDeployments(deps, 'fraud-scorer', ['v41', 'v42']);
    // v43 went out as a 10 % canary and the layer aborted it on its own: v42 still serves.
    await deps.store.recordDeployment({
      model: 'fraud-scorer',
      version: 'v43',
      strategy: 'canary',
      traffic: 10,
      at: 3,
      by: 'api',
    });
    deps.fake.previous = undefined;
    const result = await rollback(deps, request);
    expect(result.plan).toMatchObject({ from: 'v42', to: 'v41' });
    expect(deps.fake.current).toBe('v41');
  });
});

describe("the lock's keep-alive", () => {
  /**
   * A short lock TTL so that the keep-alive ticks during the test, and a store whose extend() answers as
   * `answer` says; `extended` resolves at its first call, for the serving layer to wait on.
   */
  function extendingDeps(answer: () => Promise<boolean>) {
    const deps = makeDeps();
    const lines: { level: number; msg: string }[] = [];
    let lostLogged: () => void = () => {};
    const loggedLost = new Promise<void>((resolve) => (lostLogged = resolve));
    deps.logger = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          const line = JSON.parse(chunk.toString()) as { level: number; msg: string };
          lines.push(line);
          if (line.msg.startsWith('the rollback lock was lost')) lostLogged();
          done();
        },
      }),
    });
    deps.timing = { ...deps.timing, lockTtlMs: 30 };
    let first: () => void = () => {};
    const extended = new Promise<void>((resolve) => (first = resolve));
    deps.store = {
      ...deps.store,
      extend: () => {
        first();
        return answer();
      },
    };
    return { deps, lines, extended, loggedLost };
  }

  it('logs a store error while extending and carries on: a Redis blip must not crash the rollback', async () => {
    let calls = 0;
    const { deps, lines, extended } = extendingDeps(() =>
      calls++ === 0 ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve(true),
    );
    deps.fake.duringExecute = () => extended;
    const result = await rollback(deps, request);
    expect(result.outcome).toBe('succeeded');
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'could not extend the rollback lock; trying again' }),
    );
  });

  it('changes nothing once the lock is lost before the write, and escalates', async () => {
    const { deps, extended } = extendingDeps(async () => false);
    const plan = deps.fake.plan.bind(deps.fake);
    deps.fake.plan = async (planning) => {
      await extended;
      return plan(planning);
    };
    const result = await rollback(deps, request);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: {
        code: 'LOCKED',
        message:
          'lost the rollback lock of fraud-scorer before changing anything: this attempt changed nothing',
      },
    });
    expect(deps.fake.mutations).toBe(0);
    expect(deps.notifier.ofType('escalation')).toHaveLength(1);
  });

  it('does not retry the write once the lock was lost: another replica may be rolling back by then', async () => {
    const { deps, extended } = extendingDeps(async () => false);
    // The first write fails transiently after the store said the lease is gone; the retry must not write.
    deps.fake.duringExecute = () => extended;
    deps.fake.executeErrors = [transient()];
    const result = await rollback(deps, request);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: {
        code: 'LOCKED',
        message: 'lost the rollback lock of fraud-scorer before retrying the change after a transient error',
      },
    });
    expect(deps.fake.calls.filter((call) => call === 'execute')).toHaveLength(1);
    expect(deps.fake.mutations).toBe(0);
  });

  it.each([
    ['fails', () => Promise.reject(new Error('Connection is closed.'))],
    ['hangs, as a command queued while ioredis reconnects does', () => new Promise<boolean>(() => {})],
  ])(
    'counts the lock lost once no extension went through for a whole TTL (every extension %s)',
    async (_how, answer: () => Promise<boolean>) => {
      // Cut off from Redis while the other replicas reach it: there the lease lapses and the lock can be taken.
      const { deps, loggedLost } = extendingDeps(answer);
      deps.fake.duringExecute = () => loggedLost;
      deps.fake.executeErrors = [transient()];
      const result = await rollback(deps, request);
      expect(result).toMatchObject({
        outcome: 'failed',
        error: {
          code: 'LOCKED',
          message:
            'lost the rollback lock of fraud-scorer before retrying the change after a transient error',
        },
      });
      expect(deps.fake.mutations).toBe(0);
    },
  );

  it('does not claim success when the lock was lost while the change was made', async () => {
    const { deps, extended } = extendingDeps(async () => false);
    deps.fake.duringExecute = () => extended;
    const result = await rollback(deps, request);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: {
        message:
          'lost the rollback lock of fraud-scorer after the change to v41 was made: another rollback may have run meanwhile',
      },
    });
    expect(await types(deps, 'INC-1')).not.toContain('rollback.succeeded');
    expect(await deps.store.rolledBack('fraud-scorer')).toEqual({});
  });
});

describe('bad requests', () => {
  it('refuses an unknown model with the known ones, and stores nothing', async () => {
    const deps = makeDeps();
    await expect(rollback(deps, { ...request, model: 'fraud-scorr' })).rejects.toThrow(
      'no runbook for model "fraud-scorr" (did you mean "fraud-scorer"?)',
    );
    await expect(rollback(deps, { ...request, reason: '  ' })).rejects.toThrow('a rollback needs a reason');
    expect(await deps.store.listIncidents({})).toEqual([]);
    expect(deps.fake.calls).toEqual([]);
  });

  it('refuses when no version to roll back to is known, and stores nothing', async () => {
    const deps = makeDeps();
    deps.fake.previous = undefined;
    await expect(rollback(deps, request)).rejects.toThrow('no previous version known');
    expect(await deps.store.listIncidents({})).toEqual([]);
    expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();
  });
});

describe('attemptDeadline', () => {
  const minute = 60_000;

  it('is the stage target while the plan fits inside it', () => {
    expect(attemptDeadline(5 * minute, 0, 30_000)).toBe(5 * minute);
  });

  it("is twice the plan's ETA after the attempt started when that is later", () => {
    expect(attemptDeadline(5 * minute, 6 * minute, 30_000)).toBe(7 * minute);
    expect(attemptDeadline(5 * minute, 0, 10 * minute)).toBe(20 * minute);
  });
});
