/**
 * A press's trigger_id lives 3 seconds (slack-platform.md §2): the **Complete retrospective**, **Not a rollback** and
 * **Roll back** forms open at once with it, before the store is read or Slack is asked who is in a user group, and
 * are filled in (or say why the person cannot go on) once those answer. A store that hangs at 2am must leave the person looking
 * at a form that is loading, not at "Slack did not open the form". Real signed HTTP to the Slack route.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { createGroupResolver } from '../../../src/engine/group-membership.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective } from '../../../src/engine/retro.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { ACTIONS, VIEWS } from '../../../src/slack/ids.js';
import { firing } from '../../helpers/alerts.js';
import { dyingStore, type DyingStore } from '../../helpers/dying-store.js';
import { makeDeps, makeRunbook, RealClock, recordDeployments, type TestDeps } from '../../helpers/engine.js';
import { buttonPress, sendSigned } from '../../helpers/slack.js';
import { serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;
let held: DyingStore;
let holding = false;
/** What reached Slack, in order: views.open, and usergroups.users.list (who is in S0ONCALL1). */
let order: string[];

beforeEach(async () => {
  // This test's own list: a listener of an earlier test left waiting on its held store never writes to it.
  const seen: string[] = [];
  order = seen;
  holding = false;
  const clock = new RealClock();
  // Every store call waits, once the store is held, until `held.resume()`: Redis hanging in a failover.
  held = dyingStore(createMemoryStore({ clock }), 0, () => holding);
  deps = makeDeps({
    clock,
    store: held.store,
    runbooks: [makeRunbook('fraud-scorer', 'rollback: { policy: approve, approvers: [S0ONCALL1] }')],
  });
  const groupsOf = createGroupResolver({
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
    directory: {
      members: async () => {
        seen.push('usergroups.users.list');
        return ['U0BO'];
      },
    },
  });
  slack = await serveSlackRoute(deps, {
    groupsOf,
    answers: {
      'views.open': () => {
        seen.push('views.open');
        return { ok: true, view: { id: 'V0LOADING' } };
      },
    },
  });
  await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
});

afterEach(async () => {
  // A held store is not resumed here: a listener still waiting on it stays so, rather than run into the next test.
  await slack.close();
});

/** From here on the store does not answer (the call that starts the hold is the last one that does). */
async function holdTheStore(): Promise<void> {
  holding = true;
  await deps.store.getValue('hold');
}

/** Bob presses `actionId` on INC-1 while the store hangs: the form opens all the same, before anything is read. */
async function pressWhileTheStoreHangs(actionId: string): Promise<void> {
  await holdTheStore();
  const press = buttonPress(actionId, { model: 'fraud-scorer', incidentId: 'INC-1' }, 'U0BO');
  expect((await sendSigned(slack.url, press)).status).toBe(200);
  await slack.settle(() => slack.called('views.open').length > 0, 'the form opening');
  await slack.settle(() => held.callsSince() > 0, 'the listener waiting for the store');
  expect(order).toEqual(['views.open']);
  expect(slack.called('views.update')).toEqual([]);
}

/** The view the opened form was replaced with, once the store answers again. */
async function formOnceTheStoreAnswers(): Promise<{ callback_id?: string; private_metadata?: string }> {
  held.resume();
  await slack.settle(() => slack.called('views.update').length > 0, 'the form filled in');
  const [update, ...more] = slack.called('views.update');
  expect(more).toEqual([]);
  expect(update?.form.view_id).toBe('V0LOADING');
  return JSON.parse(update?.form.view ?? '{}') as { callback_id?: string; private_metadata?: string };
}

describe('Not a rollback', () => {
  it('opens its form before the store or the user group is read, then asks why', async () => {
    await pressWhileTheStoreHangs(ACTIONS.notRollback);
    expect(slack.called('views.open')[0]?.form.view).toContain('Not a rollback');

    const view = await formOnceTheStoreAnswers();
    expect(order).toEqual(['views.open', 'usergroups.users.list']);
    expect(view.callback_id).toBe(VIEWS.notRollback);
    // Where to answer the submission rides along, as before.
    expect(JSON.parse(view.private_metadata ?? '{}')).toEqual({
      model: 'fraud-scorer',
      incidentId: 'INC-1',
      channel: 'C0TEST0001',
      responseUrl: 'https://hooks.slack.test/actions/1',
    });
    expect(slack.called('chat.postEphemeral')).toEqual([]);
  });
});

describe('Complete retrospective', () => {
  it('opens its form before the store or the user group is read, then shows the template', async () => {
    await resolve(deps, 'INC-1', { by: 'U0BO', reason: 'back to normal' });
    await pressWhileTheStoreHangs(ACTIONS.completeRetro);

    const view = await formOnceTheStoreAnswers();
    expect(order).toEqual(['views.open', 'usergroups.users.list']);
    expect(view.callback_id).toBe(VIEWS.retro);
    expect(JSON.stringify(view)).toContain('Root cause');
    expect(JSON.parse(view.private_metadata ?? '{}')).toMatchObject({
      incidentId: 'INC-1',
      model: 'fraud-scorer',
      channel: 'C0TEST0001',
      responseUrl: 'https://hooks.slack.test/actions/1',
    });
    expect(slack.called('chat.postEphemeral')).toEqual([]);
  });
});

describe("the incident message's Roll back", () => {
  it('opens its form before the store or the user group is read, then shows the plan', async () => {
    await recordDeployments(deps, 'fraud-scorer', ['v40', 'v41', 'v42']);
    await pressWhileTheStoreHangs(ACTIONS.rollback);

    const view = await formOnceTheStoreAnswers();
    expect(order).toEqual(['views.open', 'usergroups.users.list']);
    expect(view.callback_id).toBe(VIEWS.rollback);
    expect(JSON.stringify(view)).toContain('`v42` → `v41`');
    expect(JSON.parse(view.private_metadata ?? '{}')).toMatchObject({
      incidentId: 'INC-1',
      channel: 'C0TEST0001',
      responseUrl: 'https://hooks.slack.test/actions/1',
    });
  });
});

describe('a form that cannot be filled in', () => {
  /** The text of the form the press ended with, once the store answers; it asks nothing. */
  async function saidInTheForm(): Promise<string> {
    const view = (await formOnceTheStoreAnswers()) as {
      callback_id?: string;
      submit?: unknown;
      blocks?: { text?: { text?: string } }[];
    };
    expect(view.callback_id).toBeUndefined();
    expect(view.submit).toBeUndefined();
    expect(slack.called('chat.postEphemeral')).toEqual([]);
    return view.blocks?.map((block) => block.text?.text).join('\n') ?? '';
  }

  it('says who completed the retrospective already, in the words of the reply it replaces', async () => {
    await resolve(deps, 'INC-1', { by: 'U0BO', reason: 'back to normal' });
    await completeRetrospective(deps, 'INC-1', { by: 'U0ANA', rootCause: 'stale features' });
    await pressWhileTheStoreHangs(ACTIONS.completeRetro);

    expect(await saidInTheForm()).toBe('The retrospective of INC-1 was completed already by <@U0ANA>.');
  });

  it('says that the incident was decided already, when Not a rollback is pressed after', async () => {
    const ana = { id: 'U0ANA', groups: ['S0ONCALL1'] };
    await dismiss(deps, 'INC-1', { actor: ana, reason: 'upstream', trigger: 'slack' });
    await pressWhileTheStoreHangs(ACTIONS.notRollback);

    expect(await saidInTheForm()).toMatch(
      /^⚠️ INC-1: this decision was made: U0ANA decided "not a rollback" \(upstream\) at /,
    );
  });

  it('says who may complete the retrospective, to someone the runbook does not let', async () => {
    await resolve(deps, 'INC-1', { by: 'U0BO', reason: 'back to normal' });
    await holdTheStore();
    const press = buttonPress(ACTIONS.completeRetro, { model: 'fraud-scorer', incidentId: 'INC-1' }, 'U0CY');
    expect((await sendSigned(slack.url, press)).status).toBe(200);
    await slack.settle(() => slack.called('views.open').length > 0, 'the form opening');

    expect(await saidInTheForm()).toMatch(
      /^⚠️ U0CY may not complete the retrospective of fraud-scorer: the runbook allows <!subteam\^S0ONCALL1>/,
    );
  });
});
