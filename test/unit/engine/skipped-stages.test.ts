/**
 * A rollback started with no incident open (`rollbot rollback`, `POST /api/rollbacks`, Slack's form) opens a manual
 * incident already decided: no alert was detected and nobody triaged, so those stages were skipped. Shown as "0s,
 * met", they would read as the fastest detection and triage of the quarter.
 */
import { describe, expect, it } from 'vitest';
import { stageResult } from '../../../src/core/stages.js';
import { declareIncident } from '../../../src/engine/declare.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { incidentMarkdown } from '../../../src/engine/report.js';
import { retroTemplate } from '../../../src/engine/retro-template.js';
import { rollback } from '../../../src/engine/rollback.js';
import { incidentDetail } from '../../../src/engine/views.js';
import { stageLine } from '../../../src/slack/blocks/incident-message.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, metricValue } from '../../helpers/engine.js';

describe('a manual rollback incident', () => {
  it('shows detect and triage as skipped, not met in 0s, and escalates neither', async () => {
    const deps = makeDeps();
    await rollback(deps, {
      model: 'fraud-scorer',
      reason: 'p99 doubled after v42',
      by: 'cli:ana',
      trigger: 'cli',
    });
    const detail = await incidentDetail(deps, 'INC-1');
    const [detect, triage, rollbackStage] = detail.stages;
    expect([detect, triage].map((stage) => stage && stageResult(stage))).toEqual(['skipped', 'skipped']);
    expect(detect).toMatchObject({
      stage: 'detect',
      skipped: 'no alert: opened by a rollback',
      breached: false,
    });
    expect(rollbackStage && stageResult(rollbackStage)).toBe('met');
    expect(detect && stageLine(detect)).toBe('– *detect* skipped (no alert: opened by a rollback)');
    expect(triage && stageLine(triage)).toBe('– *triage* skipped (no alert: opened by a rollback)');
    const markdown = incidentMarkdown(detail);
    expect(markdown).toContain('| detect | done | — | 5m | skipped (no alert: opened by a rollback) |');
    expect(markdown).toContain('| triage | done | — | 10m | skipped (no alert: opened by a rollback) |');
  });
});

describe('a declared incident (/incident open, rollbot declare)', () => {
  it('shows detect as skipped and observes no detection of 0s: nobody knows when the degradation began', async () => {
    const deps = makeDeps();
    await declareIncident(deps, {
      model: 'fraud-scorer',
      severity: 2,
      summary: 'customers report wrong scores',
      by: 'U0ANA',
    });
    const [detect, triage] = (await incidentDetail(deps, 'INC-1')).stages;
    expect(detect && stageResult(detect)).toBe('skipped');
    expect(triage && stageResult(triage)).toBe('running');
    expect(detect && stageLine(detect)).toBe(
      '– *detect* skipped (declared by U0ANA, so when it began is unknown)',
    );
    expect(
      await metricValue(deps.metrics, 'rollbot_stage_duration_seconds', { stage: 'detect', le: '+Inf' }),
    ).toBe(0);
    const incident = await deps.store.getIncident('INC-1');
    expect(incident && retroTemplate(incident, deps.clock.now(), [])).toContain(
      '- detect: skipped, declared by U0ANA, so when it began is unknown (target 5m)',
    );
    const [opened] = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'incident.opened');
    expect(opened?.text).toBe(
      'SEV-2 incident opened for fraud-scorer: customers report wrong scores (detection not measured: declared by U0ANA, so when it began is unknown)',
    );
  });

  it('shows detect as skipped for an alert whose source gave no start time, observing none', async () => {
    const deps = makeDeps();
    const alert = firing('fraud-scorer', deps.clock.now());
    delete alert.startsAt;
    await ingestAlerts(deps, [alert]);
    const [detect] = (await incidentDetail(deps, 'INC-1')).stages;
    expect(detect && stageLine(detect)).toBe(
      '– *detect* skipped (ModelErrorRateHigh gave no start time, so when it began is unknown)',
    );
    expect(
      await metricValue(deps.metrics, 'rollbot_stage_duration_seconds', { stage: 'detect', le: '+Inf' }),
    ).toBe(0);
  });

  it('keeps an alert’s detection measured and observed', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    await ingestAlerts(deps, [firing('fraud-scorer', now, { startsAt: now - 2 * 60_000 })]);
    const [detect] = (await incidentDetail(deps, 'INC-1')).stages;
    expect(detect && stageResult(detect)).toBe('met');
    expect(
      await metricValue(deps.metrics, 'rollbot_stage_duration_seconds', { stage: 'detect', le: '+Inf' }),
    ).toBe(1);
  });
});
