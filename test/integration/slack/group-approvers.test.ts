/**
 * A runbook whose approvers are a user group, decided in Slack with the same resolver the API and CLI use: while
 * Slack cannot tell the group's members, a recent snapshot decides, and without one the refusal says why.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupResolver, type GroupDirectory } from '../../../src/engine/group-membership.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { VIEWS } from '../../../src/slack/ids.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { sendSigned, viewSubmission } from '../../helpers/slack.js';
import { reasonGiven, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;
/** usergroups.users.list as Slack answers it: here it fails, as during an outage or without usergroups:read. */
const unreachable: GroupDirectory = {
  members: async () => {
    throw new Error('An HTTP protocol error occurred: statusCode = 503');
  },
};

beforeEach(async () => {
  deps = makeDeps({
    clock: new RealClock(),
    runbooks: [makeRunbook('fraud-scorer', 'rollback: { policy: approve, approvers: [S0ONCALL1] }')],
  });
  const groupsOf = createGroupResolver({
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
    directory: unreachable,
  });
  slack = await serveSlackRoute(deps, { groupsOf });
  await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
});

afterEach(async () => {
  await slack.close();
});

describe('a group approver in Slack while Slack cannot list the group', () => {
  /** U0ANA, in S0ONCALL1 as the snapshot may say, submits "not a rollback" for INC-1. */
  const dismissAsAna = () =>
    sendSigned(
      slack.url,
      viewSubmission(
        VIEWS.notRollback,
        reasonGiven('upstream outage'),
        { model: 'fraud-scorer', incidentId: 'INC-1', channel: 'C0TEST0001' },
        { user: 'U0ANA' },
      ),
    );

  it('is refused with why and how to get through when no snapshot is recent, changing nothing but the denial', async () => {
    const incident = await deps.store.getIncident('INC-1');
    await dismissAsAna();
    await slack.settle(() => slack.called('chat.postEphemeral').length > 0, 'the refusal');
    expect(slack.called('chat.postEphemeral')[0]?.form.text).toMatch(
      /^⚠️ U0ANA may not dismiss fraud-scorer: the runbook allows <!subteam\^S0ONCALL1>; membership of <!subteam\^S0ONCALL1> could not be checked: Slack did not answer \(.*503\), and no snapshot of its members is stored\nfix: act as a user ID that rollback\.approvers lists, or try again once Slack answers/,
    );
    expect(await deps.store.getIncident('INC-1')).toEqual(incident);
    // The record says why too: U0ANA may well be in S0ONCALL1; nobody could tell just then.
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'permission.denied',
      actor: 'U0ANA',
      text: expect.stringMatching(
        /^U0ANA may not dismiss fraud-scorer: the runbook allows S0ONCALL1; membership of S0ONCALL1 could not be checked: Slack did not answer/,
      ),
    });
  });

  it('is let through by a recent snapshot of the group', async () => {
    await deps.store.setValue(
      'usergroup:S0ONCALL1',
      JSON.stringify({ members: ['U0ANA'], at: Date.now() - 60_000 }),
    );
    await dismissAsAna();
    await slack.settle(
      () => deps.notifier.ofType('incident.updated').some((event) => event.incident.phase === 'dismissed'),
      'the dismissal',
    );
    expect(await deps.store.getIncident('INC-1')).toMatchObject({
      phase: 'dismissed',
      decision: { by: 'U0ANA', trigger: 'slack' },
    });
    expect(slack.called('chat.postEphemeral')).toEqual([]);
  });
});
