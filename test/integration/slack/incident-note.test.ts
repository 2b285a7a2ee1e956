/**
 * Incident notes in Slack: what people found, on the incident's timeline, quoted where the retrospective is
 * written (the Complete retrospective modal).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { addNote } from '../../../src/engine/notes.js';
import { resolve } from '../../../src/engine/resolve.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { buttonPress, sendSigned } from '../../helpers/slack.js';
import { commandReply, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  deps = makeDeps({
    clock: new RealClock(),
    runbooks: [makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }')],
  });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  slack = await serveSlackRoute(deps);
});

afterEach(async () => {
  await slack.close();
});

describe('notes in the retrospective', () => {
  it('quotes the notes in the Complete retrospective modal', async () => {
    await addNote(deps, 'INC-1', { by: 'U0ANA', text: 'feature store stale since 01:40' });
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });

    const press = buttonPress(
      ACTIONS.completeRetro,
      { incidentId: 'INC-1', model: 'fraud-scorer' },
      'U0LEAD',
    );
    expect((await sendSigned(slack.url, press)).status).toBe(200);
    await slack.settle(() => slack.called('views.update').length > 0, 'the retrospective modal');

    const view = slack.called('views.update')[0]?.form.view ?? '';
    expect(view).toContain('Notes from the timeline:');
    expect(view).toContain('U0ANA: feature store stale since 01:40');
  });
});

/** Sends `/incident <text>` as `user` and returns the reply to them, which only they see. */
const incident = (text: string, user = 'U0ANA') => commandReply(slack, '/incident', text, user);

/** What a refused note must leave as it was: the incident, its timeline, and what the channel was told. */
const stored = async () => ({
  incident: await deps.store.getIncident('INC-1'),
  timeline: await deps.store.list('INC-1'),
  told: deps.notifier.events.length,
});

describe('/incident note', () => {
  it("puts the note on the timeline as the writer's, tells the channel, and answers only the writer", async () => {
    // U0ANA is no approver: a note is no action, so anyone's is taken.
    const reply = await incident('note inc-1 feature store stale since 01:40');
    expect(reply).toBe('Noted on the timeline of INC-1.');
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'note',
      actor: 'U0ANA',
      text: 'feature store stale since 01:40',
    });
    expect(deps.notifier.ofType('incident.updated').at(-1)).toMatchObject({
      channel: 'C0TEST0001',
      text: 'note by U0ANA: feature store stale since 01:40',
    });
  });

  it('takes a note on a resolved incident', async () => {
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    expect(await incident('note INC-1 the backfill job was paused at 01:35', 'U0BO')).toBe(
      'Noted on the timeline of INC-1.',
    );
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({ type: 'note', actor: 'U0BO' });
  });

  it('refuses a note without text, one too long, and one on an unknown incident, recording nothing', async () => {
    const before = await stored();
    expect(await incident('note INC-1')).toContain("note needs an incident id and the note's text");
    expect(await incident(`note INC-1 ${'x'.repeat(3_001)}`)).toContain(
      'a note is at most 3000 characters; this one has 3001',
    );
    const unknown = await incident('note INC-9 stale features');
    expect(unknown).toContain('no incident INC-9');
    expect(unknown).toContain('/incident list');
    expect(await stored()).toEqual(before);
  });
});
