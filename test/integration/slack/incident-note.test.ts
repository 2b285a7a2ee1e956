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
import { serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

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
    await slack.settle(() => slack.called('views.open').length > 0, 'the retrospective modal');

    const view = slack.called('views.open')[0]?.form.view ?? '';
    expect(view).toContain('Notes from the timeline:');
    expect(view).toContain('U0ANA: feature store stale since 01:40');
  });
});
