/**
 * The incident message's Roll back opens the rollback modal for the incident it was pressed on, planned from the
 * version serving then. Pressed, or submitted, once that incident is over or the model serves another version,
 * it rolls nothing back and says what happened; a further rollback from confirm, on purpose, still goes ahead.
 * Real signed HTTP to the Slack route, as Slack sends it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { firing } from '../../helpers/alerts.js';
import { drillDeps, STAGING } from '../../helpers/drill-deps.js';
import { RealClock, recordDeployments, sleepingForReal, type TestDeps } from '../../helpers/engine.js';
import { sendSigned, viewSubmission } from '../../helpers/slack.js';
import {
  approvePolicyIncident,
  pressButton,
  reasonGiven,
  serveSlackRoute,
  type SlackRoute,
} from '../../helpers/slack-route.js';

const POLICY = 'rollback: { policy: approve, approvers: [U0ANA, U0BO] }';

let route: SlackRoute | undefined;
afterEach(async () => {
  await route?.close();
  route = undefined;
});

/** fraud-scorer serving v42 (v40 and v41 deployed before it), its alert's incident INC-1 in triage. */
async function incidentInTriage(): Promise<TestDeps> {
  const served = await approvePolicyIncident(['U0ANA', 'U0BO']);
  route = served.slack;
  return served.deps;
}

const person = (id: string) => ({ id, groups: [] });

async function anaRollsBack(deps: TestDeps, to?: string) {
  await requestRollback(deps, {
    model: 'fraud-scorer',
    reason: 'p99 doubled',
    actor: person('U0ANA'),
    trigger: 'slack',
    ...(to ? { to } : {}),
  });
}

function slack(): SlackRoute {
  if (!route) throw new Error('no Slack route: start one first');
  return route;
}

/**
 * Bob presses Roll back on `incidentId`'s message. Its button is the same in every drawing of the message while the
 * incident is open (the incident and the model), and a press that arrives after it ended comes from one of those.
 */
async function bobPressesRollBack(deps: TestDeps, incidentId: string): Promise<void> {
  const opened = deps.notifier.ofType('incident.opened').find((event) => event.incident.id === incidentId);
  if (!opened) throw new Error(`${incidentId} was not announced`);
  const { blocks } = createSlackRenderer(deps.runbooks).incidentMessage(opened, Date.now());
  expect((await sendSigned(slack().url, pressButton(blocks, 'Roll back', 'U0BO'))).status).toBe(200);
}

/** Bob opens the modal from `incidentId`'s message: the modal as planned, and the metadata its submission carries. */
async function bobOpensTheModal(
  deps: TestDeps,
  incidentId: string,
): Promise<{ view: string; metadata: Record<string, string> }> {
  const before = slack().called('views.update').length;
  await bobPressesRollBack(deps, incidentId);
  await slack().settle(() => slack().called('views.update').length > before, 'the planned modal');
  const view = slack().called('views.update').at(-1)?.form.view ?? '{}';
  const metadata = (JSON.parse(view) as { private_metadata?: string }).private_metadata;
  if (!metadata) throw new Error(`the modal is not a rollback plan: ${view}`);
  return { view, metadata: JSON.parse(metadata) as Record<string, string> };
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

describe('a rollback modal opened from the incident message, submitted after things changed', () => {
  it('opens no incident of its own and rolls nothing back after the incident was decided "not a rollback"', async () => {
    const deps = await incidentInTriage();
    const { metadata } = await bobOpensTheModal(deps, 'INC-1');
    await dismiss(deps, 'INC-1', { actor: person('U0ANA'), reason: 'upstream outage', trigger: 'slack' });

    const reply = await bobSubmits(metadata);
    expect(reply).toContain(
      'INC-1: this decision was made: U0ANA decided "not a rollback" (upstream outage) at ',
    );
    expect(reply).toContain('/rollback fraud-scorer');
    expect(deps.fake.calls).not.toContain('execute');
    expect(await deps.store.listIncidents({})).toHaveLength(1);
  });

  it('does not move traffic off the version another person rolled back to meanwhile', async () => {
    const deps = await incidentInTriage();
    const { metadata } = await bobOpensTheModal(deps, 'INC-1'); // v42 → v41
    await anaRollsBack(deps, 'v40'); // v41 is no good either: v42 → v40

    const reply = await bobSubmits(metadata);
    expect(reply).toContain(
      'fraud-scorer serves v40 now, not v42 as when this rollback was asked for (rolled back from v42 by U0ANA in INC-1 at ',
    );
    expect(deps.fake.current).toBe('v40');
    expect(deps.fake.mutations).toBe(1);
    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({ attempt: 1, by: 'U0ANA' });
  });

  it('in confirm, rolls back further on purpose when nothing changed since it was opened', async () => {
    const deps = await incidentInTriage();
    await anaRollsBack(deps); // v42 → v41; confirmation runs
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('confirm');

    const { view, metadata } = await bobOpensTheModal(deps, 'INC-1');
    expect(view).toContain('`v41` → `v40`');
    expect(metadata).toMatchObject({ incidentId: 'INC-1', from: 'v41', to: 'v40' });
    const reply = await bobSubmits(metadata);
    expect(reply).toContain('Rolled back to v40 (INC-1)');
    expect(deps.fake.current).toBe('v40');
    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({ attempt: 2, by: 'U0BO' });
  });
});

describe("a drill's Roll back, after a real alert ended the drill", () => {
  /** A drill of fraud-scorer against staging, waiting for a person's decision; the real alert is sent later. */
  async function drillInTriage() {
    const drill = drillDeps(STAGING, { runbook: POLICY, clock: new RealClock() });
    const deps = sleepingForReal(drill.deps);
    route = await serveSlackRoute(deps);
    await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
    const started = await startDrill(deps, 'fraud-scorer', { by: 'U0ANA', auto: false });
    const realAlert = async () => {
      const [result] = await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
      return result?.incidentId;
    };
    return { ...drill, deps, drillId: started.id, realAlert };
  }

  it('pressed then, says in the modal that the drill is over and which incident is open', async () => {
    const { deps, drillId, realAlert, production } = await drillInTriage();
    const realId = await realAlert();

    await bobPressesRollBack(deps, drillId);
    await slack().settle(() => slack().called('views.update').length > 0, 'the answer to the press');
    const view = JSON.parse(slack().called('views.update')[0]?.form.view ?? '{}') as {
      callback_id?: string;
      blocks: { text: { text: string } }[];
    };
    expect(view.callback_id).toBeUndefined();
    expect(view.blocks[0]?.text.text).toContain(`${drillId}: this drill is over: the drill ended at `);
    expect(view.blocks[0]?.text.text).toContain(`fraud-scorer's open incident is ${realId} now`);
    expect(slack().called('chat.postEphemeral')).toEqual([]);
    expect(production.calls).not.toContain('execute');
  });

  it('submitted from a modal opened during the drill, rolls back neither production nor the real incident', async () => {
    const { deps, drillId, realAlert, production, staging } = await drillInTriage();
    const { metadata } = await bobOpensTheModal(deps, drillId);
    const realId = await realAlert();

    const reply = await bobSubmits(metadata);
    expect(reply).toContain(`${drillId}: this drill is over: the drill ended at `);
    expect(reply).toContain(`press Roll back on ${realId}'s message`);
    expect(production.calls).not.toContain('execute');
    expect(staging.calls).not.toContain('execute');
    const real = realId === undefined ? undefined : await deps.store.getIncident(realId);
    expect(real).toMatchObject({ phase: 'triage', drill: false });
    expect(real?.decision).toBeUndefined();
  });
});
