/**
 * `/rollback <model>` plans against what is open for the model then: its open incident (a drill's target for a
 * drill), or none. Submitted once that changed (a drill ended, a real incident opened or ended), it rolls nothing
 * back and says what changed; with none open then and none open now, it rolls back on a manual incident.
 * Real signed HTTP to the Slack route, as Slack sends it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolve } from '../../../src/engine/resolve.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { drillDeps, STAGING } from '../../helpers/drill-deps.js';
import { RealClock, recordDeployments, sleepingForReal } from '../../helpers/engine.js';
import { sendSigned, slashCommand, viewSubmission } from '../../helpers/slack.js';
import { reasonGiven, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

const POLICY = 'rollback: { policy: approve, approvers: [U0ANA, U0BO] }';

let route: SlackRoute | undefined;
afterEach(async () => {
  await route?.close();
  route = undefined;
});

function slack(): SlackRoute {
  if (!route) throw new Error('no Slack route: start one first');
  return route;
}

/** fraud-scorer with a staging drill target; production and staging both serve v42 (v41 before it). */
async function fraudScorer() {
  const drill = drillDeps(STAGING, { runbook: POLICY, clock: new RealClock() });
  const deps = sleepingForReal(drill.deps);
  route = await serveSlackRoute(deps);
  await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
  const realAlert = async () => {
    const [result] = await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
    if (!result?.incidentId) throw new Error('the real alert opened no incident');
    return result.incidentId;
  };
  return { ...drill, deps, realAlert };
}

/** Bob runs `/rollback fraud-scorer`: the metadata the planned modal's submission carries. */
async function bobRunsRollback(): Promise<Record<string, string>> {
  const before = slack().called('views.update').length;
  const sent = await sendSigned(slack().url, slashCommand('/rollback', 'fraud-scorer', 'U0BO'));
  expect(sent.status).toBe(200);
  await slack().settle(() => slack().called('views.update').length > before, 'the planned modal');
  const view = slack().called('views.update').at(-1)?.form.view ?? '{}';
  const metadata = (JSON.parse(view) as { private_metadata?: string }).private_metadata;
  if (!metadata) throw new Error(`the modal is not a rollback plan: ${view}`);
  return JSON.parse(metadata) as Record<string, string>;
}

async function bobSubmits(metadata: Record<string, string>): Promise<string | undefined> {
  const before = slack().called('chat.postEphemeral').length;
  await sendSigned(
    slack().url,
    viewSubmission('rollback_modal', reasonGiven('errors'), metadata, { user: 'U0BO' }),
  );
  await slack().settle(() => slack().called('chat.postEphemeral').length > before, "Bob's reply");
  return slack().called('chat.postEphemeral').at(-1)?.form.text;
}

describe('a /rollback modal submitted after the open incident changed', () => {
  it('opened during a drill, submitted after a real alert ended it, rolls back neither production nor staging', async () => {
    const { deps, realAlert, production, staging } = await fraudScorer();
    const drill = await startDrill(deps, 'fraud-scorer', { by: 'U0ANA', auto: false });
    const metadata = await bobRunsRollback(); // planned against staging: v42 → v41
    const realId = await realAlert();

    const reply = await bobSubmits(metadata);
    expect(reply).toContain(
      `fraud-scorer's open incident changed since this rollback was planned: it was the drill ${drill.id} (the drill ended at `,
    );
    expect(reply).toContain(`${realId} is open now`);
    expect(reply).toContain('/rollback fraud-scorer again');
    expect(production.calls).not.toContain('execute');
    expect(staging.calls).not.toContain('execute');
    const real = await deps.store.getIncident(realId);
    expect(real).toMatchObject({ phase: 'triage', drill: false });
    expect(real?.rollback).toBeUndefined();
  });

  it('opened with no incident open, submitted after a real alert opened one, rolls nothing back', async () => {
    const { deps, realAlert, production } = await fraudScorer();
    const metadata = await bobRunsRollback();
    const realId = await realAlert();

    const reply = await bobSubmits(metadata);
    expect(reply).toContain(
      `fraud-scorer's open incident changed since this rollback was planned: none was open; ${realId} is open now`,
    );
    expect(production.calls).not.toContain('execute');
    expect((await deps.store.getIncident(realId))?.rollback).toBeUndefined();
    expect(await deps.store.listIncidents({})).toHaveLength(1);
  });

  it('opened during a real incident, submitted after it was resolved, opens no manual incident', async () => {
    const { deps, realAlert, production } = await fraudScorer();
    const realId = await realAlert();
    const metadata = await bobRunsRollback();
    await resolve(deps, realId, { by: 'U0ANA', reason: 'recovered by itself' });

    const reply = await bobSubmits(metadata);
    expect(reply).toContain(
      `fraud-scorer's open incident changed since this rollback was planned: it was ${realId} (it was resolved at `,
    );
    expect(reply).toContain('none is open now');
    expect(production.calls).not.toContain('execute');
    expect(await deps.store.listIncidents({})).toHaveLength(1);
  });

  it('opened with no incident open and still none on submit, rolls back on a manual incident', async () => {
    const { deps, production } = await fraudScorer();
    const metadata = await bobRunsRollback();

    const reply = await bobSubmits(metadata);
    expect(reply).toContain('Rolled back to v41 (INC-1)');
    expect(production.current).toBe('v41');
    expect(await deps.store.getIncident('INC-1')).toMatchObject({
      drill: false,
      rollback: { by: 'U0BO' },
    });
  });
});
