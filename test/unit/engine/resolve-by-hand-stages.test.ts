/**
 * A stage a resolution ended while it ran (a person resolving by hand: Slack, CLI or API) did not complete: the
 * retrospective, the report and the incident message say it was ended by the resolution, not that it met its
 * target (nor that it missed one it had not), and its duration is not observed as a completed stage's.
 */
import { describe, expect, it } from 'vitest';
import { decide, trafficRestored, type Incident } from '../../../src/core/incident.js';
import { stageResult } from '../../../src/core/stages.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { incidentMarkdown } from '../../../src/engine/report.js';
import { resolve } from '../../../src/engine/resolve.js';
import { incidentDetail } from '../../../src/engine/views.js';
import { stageLine } from '../../../src/slack/blocks/incident-message.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';
import { makeIncident, TEST_TARGETS } from '../../helpers/incidents.js';

const MINUTE = 60_000;

/** An incident rolled back 2m ago, its confirmation running (30m target), and its observed confirm durations. */
async function confirming(deps: TestDeps): Promise<Incident> {
  const now = deps.clock.now();
  const id = await deps.store.nextIncidentId();
  await deps.store.createIfNoneOpen(makeIncident({ id, at: now - 5 * MINUTE, targets: TEST_TARGETS }));
  const { incident } = await mutateIncident(deps.store, id, (current) => {
    const decided = decide(current, {
      kind: 'rollback',
      by: 'U0ONCALL',
      at: now - 4 * MINUTE,
      reason: 'accuracy fell after v2',
      trigger: 'slack',
    });
    const rolled: Incident = {
      ...decided,
      rollback: {
        attempt: 1,
        status: 'succeeded',
        plan: { from: 'v2', to: 'v1', regime: 'traffic-flip', etaMs: 5_000, actions: [], data: {} },
        target: 'kserve ml-prod/fraud-scorer',
        by: 'U0ONCALL',
        trigger: 'slack',
        reason: 'accuracy fell after v2',
        startedAt: now - 4 * MINUTE,
        endedAt: now - 2 * MINUTE,
      },
    };
    return trafficRestored(rolled, now - 2 * MINUTE);
  });
  return incident;
}

/** `confirming`, with rollbot's own confirmation polling (no verdict yet), as when its checks can be measured. */
async function confirmingByPolls(deps: TestDeps): Promise<Incident> {
  const incident = await confirming(deps);
  const { incident: polling } = await mutateIncident(deps.store, incident.id, (current) => ({
    ...current,
    confirmation: { startedAt: current.stages.confirm.startedAt!, baselines: {}, outcomes: [] },
  }));
  return polling;
}

async function confirmObservations(deps: TestDeps): Promise<number> {
  const metric = deps.metrics.registry.getSingleMetric('rollbot_stage_duration_seconds');
  const { values } = await metric!.get();
  return values
    .filter(
      (value) =>
        (value as { metricName?: string }).metricName === 'rollbot_stage_duration_seconds_count' &&
        value.labels.stage === 'confirm',
    )
    .reduce((sum, value) => sum + value.value, 0);
}

describe('a confirmation a person resolved by hand before it passed', () => {
  it('is shown as ended by the resolution, not met, and not observed as a completed stage', async () => {
    const deps = makeDeps();
    const incident = await confirmingByPolls(deps);
    const resolved = await resolve(deps, incident.id, { by: 'U0LEAD', reason: 'dashboards look fine' });

    expect(resolved.stages.confirm).toMatchObject({ endedBy: 'resolution' });
    expect(resolved.stages.rollback.endedBy).toBeUndefined();
    const detail = await incidentDetail(deps, incident.id);
    const confirm = detail.stages.find((stage) => stage.stage === 'confirm')!;
    expect(stageResult(confirm)).toBe('ended-by-resolution');
    expect(stageResult(detail.stages.find((stage) => stage.stage === 'rollback')!)).toBe('met');

    const template = deps.notifier.ofType('retro.opened')[0]?.text ?? '';
    expect(template).toContain('- rollback: 2m against 15m, met');
    expect(template).toContain('- confirm: 4m against 30m, ended by the resolution before it completed');
    expect(template).not.toMatch(/confirm: .*met/);

    const report = incidentMarkdown(detail);
    expect(report).toMatch(/\| confirm \| done \| 4m \| 30m \| ended by the resolution \|/);
    expect(stageLine(confirm)).not.toContain('✓');
    expect(stageLine(confirm)).toContain('ended by the resolution');

    expect(await confirmObservations(deps)).toBe(0);
  });

  it('is met, and observed, when its confirmation passed before the resolution', async () => {
    const deps = makeDeps();
    const incident = await confirming(deps);
    await mutateIncident(deps.store, incident.id, (current) => ({
      ...current,
      confirmation: {
        startedAt: current.stages.confirm.startedAt!,
        baselines: {},
        outcomes: [],
        verdict: 'PASS',
      },
    }));
    const resolved = await resolve(deps, incident.id, { by: 'rollbot', reason: 'confirmation passed' });

    expect(resolved.stages.confirm.endedBy).toBeUndefined();
    const detail = await incidentDetail(deps, incident.id);
    expect(stageResult(detail.stages.find((stage) => stage.stage === 'confirm')!)).toBe('met');
    expect(await confirmObservations(deps)).toBe(1);
  });

  it('is met, and observed, when rollbot could not measure and the person confirmed by hand', async () => {
    // No confirmation of rollbot's ran (confirm.manual: no metrics source or no checks): the resolution is the
    // confirmation the runbook asked a person for, not a cut-short one.
    const deps = makeDeps();
    const incident = await confirming(deps);
    const resolved = await resolve(deps, incident.id, { by: 'U0LEAD', reason: 'checked the dashboards' });

    expect(resolved.stages.confirm.endedBy).toBeUndefined();
    const detail = await incidentDetail(deps, incident.id);
    expect(stageResult(detail.stages.find((stage) => stage.stage === 'confirm')!)).toBe('met');
    expect(await confirmObservations(deps)).toBe(1);
  });
});
