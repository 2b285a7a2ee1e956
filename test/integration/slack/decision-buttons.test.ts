/**
 * The buttons of a decision request stay in the incident thread after the decision was made (the reply is
 * never redrawn). Pressed then, or a modal opened from them submitted then, they must not decide again: they say
 * who decided what, and nothing changes. Real signed HTTP to the Slack route, as Slack sends it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dismiss } from '../../../src/engine/decisions.js';
import { requestRollback } from '../../../src/engine/rollback-request.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import type { TestDeps } from '../../helpers/engine.js';
import { sendSigned, viewSubmission } from '../../helpers/slack.js';
import {
  approvePolicyIncident,
  pressButton,
  reasonGiven,
  type SlackRoute,
} from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;
const called = (method: string) => slack.called(method);

beforeEach(async () => {
  // v42 serves; v40 and v41 were deployed before it.
  ({ deps, slack } = await approvePolicyIncident(['U0ANA', 'U0BO']));
  await pollDeadlines(deps); // triage: no metrics source, so a person is asked
});

afterEach(async () => {
  await slack.close();
});

/** A press of the decision request's button labelled `label`, as rollbot posted it in the thread. */
function pressOnRequest(label: 'Roll back' | 'Not a rollback', user: string) {
  const [event] = deps.notifier.ofType('decision.requested');
  const reply = event && createSlackRenderer(deps.runbooks).threadReply(event);
  return pressButton(reply?.blocks ?? [], label, user);
}

const person = (id: string) => ({ id, groups: [] });

async function anaRollsBack(to?: string) {
  await requestRollback(deps, {
    model: 'fraud-scorer',
    reason: 'p99 doubled',
    actor: person('U0ANA'),
    trigger: 'slack',
    ...(to ? { to } : {}),
  });
}

/** Bob opens the rollback modal from the decision request: its metadata, as the submission carries it back. */
async function bobOpensTheModal(): Promise<Record<string, string>> {
  await sendSigned(slack.url, pressOnRequest('Roll back', 'U0BO'));
  await slack.settle(() => called('views.update').length > 0, 'the planned modal');
  const view = JSON.parse(called('views.update')[0]?.form.view ?? '{}') as { private_metadata: string };
  return JSON.parse(view.private_metadata) as Record<string, string>;
}

async function bobSubmits(metadata: Record<string, string>): Promise<string | undefined> {
  await sendSigned(
    slack.url,
    viewSubmission('rollback_modal', reasonGiven('errors'), metadata, { user: 'U0BO' }),
  );
  await slack.settle(() => called('chat.postEphemeral').length > 0, "Bob's reply");
  return called('chat.postEphemeral')[0]?.form.text;
}

describe("a decision request's Roll back, pressed after the decision", () => {
  /**
   * The text of the modal `label`'s press ended with: it opens before anything is read (a trigger lives 3 s), then
   * says what happened instead of offering anything to submit.
   */
  async function saidInTheModal(label: 'Roll back' | 'Not a rollback'): Promise<string> {
    const before = called('views.update').length;
    expect((await sendSigned(slack.url, pressOnRequest(label, 'U0BO'))).status).toBe(200);
    await slack.settle(() => called('views.update').length > before, 'the modal');
    const view = JSON.parse(called('views.update').at(-1)?.form.view ?? '{}') as {
      callback_id?: string;
      blocks: { text: { text: string } }[];
    };
    expect(view.callback_id).toBeUndefined();
    return view.blocks[0]?.text.text ?? '';
  }

  it('says who rolled back to what and when, and offers nothing to submit', async () => {
    await anaRollsBack();
    const rolledBackAt = (await deps.store.getIncident('INC-1'))?.rollback?.startedAt ?? 0;

    expect(await saidInTheModal('Roll back')).toContain(
      `INC-1: this decision was made: U0ANA rolled back to v41 at ${new Date(rolledBackAt).toISOString()}`,
    );
    expect(called('chat.postEphemeral')).toEqual([]);
    expect(deps.fake.current).toBe('v41');
    expect(deps.fake.mutations).toBe(1);
  });

  it('says that the incident was decided "not a rollback", in the modal of either button', async () => {
    await dismiss(deps, 'INC-1', { actor: person('U0ANA'), reason: 'upstream outage', trigger: 'slack' });

    for (const label of ['Roll back', 'Not a rollback'] as const)
      expect(await saidInTheModal(label)).toContain(
        'INC-1: this decision was made: U0ANA decided "not a rollback" (upstream outage) at ',
      );
    expect(called('chat.postEphemeral')).toEqual([]);
    expect(deps.fake.calls).toEqual([]);
  });

  it('still opens the modal while nobody has decided', async () => {
    expect((await bobOpensTheModal()).incidentId).toBe('INC-1');
    expect(called('views.update')[0]?.form.view).toContain('v42');
  });
});

describe('a rollback modal opened from a decision request, submitted after the decision', () => {
  it('does not roll forward onto a version rolled back from since it was opened', async () => {
    const metadata = await bobOpensTheModal(); // v42 → v41
    await anaRollsBack(); // v42 → v41
    await anaRollsBack('v40'); // confirmation failed: further, v41 → v40

    const reply = await bobSubmits(metadata);
    expect(reply).toContain('INC-1: this decision was made: U0ANA rolled back to v40 at ');
    expect(deps.fake.current).toBe('v40');
    expect(deps.fake.mutations).toBe(2);
  });

  it('does not open an incident of its own and roll back after the incident was dismissed', async () => {
    const metadata = await bobOpensTheModal();
    await dismiss(deps, 'INC-1', { actor: person('U0ANA'), reason: 'upstream outage', trigger: 'slack' });

    const reply = await bobSubmits(metadata);
    expect(reply).toContain(
      'INC-1: this decision was made: U0ANA decided "not a rollback" (upstream outage)',
    );
    expect(deps.fake.calls.filter((call) => call === 'execute')).toEqual([]);
    expect(await deps.store.listIncidents({})).toHaveLength(1);
  });

  it('was refused already after a rollback to the version it planned', async () => {
    const metadata = await bobOpensTheModal();
    await anaRollsBack();

    const reply = await bobSubmits(metadata);
    expect(reply).toMatch(/^⚠️ .*U0ANA.*v41/);
    expect(deps.fake.mutations).toBe(1);
    expect((await deps.store.getIncident('INC-1'))?.rollback).toMatchObject({ attempt: 1, by: 'U0ANA' });
  });
});
