/**
 * The retrospective's thread message (Complete retrospective, the template) is redrawn once the retrospective is
 * completed: it says so, by whom and when, with the root cause and the action items and their Close buttons, and
 * no longer offers Complete retrospective. Through the notifier's queue, as an update, by any replica: where the
 * message is is stored when it is posted.
 */
import { describe, expect, it } from 'vitest';
import type { Retrospective } from '../../../src/core/retro.js';
import type { NotifierEvent } from '../../../src/engine/notifier-port.js';
import { RunbookSet } from '../../../src/engine/runbook-set.js';
import { ACTIONS } from '../../../src/slack/ids.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { makeIncident } from '../../helpers/incidents.js';
import { opened, setupNotifier, slackAnsweredByNock } from '../../helpers/notifier.js';

slackAnsweredByNock();

const T = Date.parse('2026-11-22T02:00:00Z');
const open: Retrospective = {
  incidentId: 'INC-7',
  model: 'fraud-scorer',
  openedAt: T,
  dueAt: T + 48 * 3_600_000,
  actionItems: [],
  remindersSent: [],
};
const completed: Retrospective = {
  ...open,
  completedAt: T + 3_600_000,
  completedBy: 'U0LEAD',
  rootCause: 'v2 trained on a broken feature join',
  actionItems: [
    { id: 'A1', owner: '<@U0ANA>', text: 'add a join test', due: T + 14 * 86_400_000, status: 'open' },
  ],
};
const TEMPLATE =
  'Blameless retrospective for INC-7 is open.\n\nStages against targets:\n- detect: 1m against 5m, met';

describe('the retrospective message once the retrospective is completed', () => {
  it('is updated in place, by this replica or another, to say it is complete', async () => {
    const { notifier, make, slack, calls, run, failures } = setupNotifier({
      renderer: createSlackRenderer(new RunbookSet([])),
    });
    const incident = makeIncident({ id: 'INC-7' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    const retroTs = '1700000000.777700';
    slack('chat.update');
    slack('chat.postMessage', { ok: true, channel: 'C0FRAUD01', ts: retroTs });
    const retroOpened: NotifierEvent = {
      type: 'retro.opened',
      incident,
      channel: 'C0FRAUD01',
      retro: open,
      text: TEMPLATE,
    };
    await notifier.notify(retroOpened);
    await run();
    const posted = calls.filter((call) => call.method === 'chat.postMessage' && call.form.thread_ts);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.form.blocks).toContain(`"action_id":"${ACTIONS.completeRetro}"`);

    // Completed on another replica: it finds the message in the store.
    const replica = make();
    slack('chat.update', undefined, 2);
    slack('chat.postMessage');
    await replica.notify({
      type: 'incident.updated',
      incident,
      channel: 'C0FRAUD01',
      text: 'retrospective completed by U0LEAD: v2 trained on a broken feature join; 1 action item(s)',
      retro: completed,
    });
    await run();
    await replica.flush();

    expect(failures).toEqual([]);
    const redrawn = calls.filter((call) => call.method === 'chat.update' && call.form.ts === retroTs);
    expect(redrawn).toHaveLength(1);
    const form = redrawn[0]?.form ?? {};
    expect(form.channel).toBe('C0FRAUD01');
    expect(form.text).toContain('completed');
    expect(form.blocks).toContain('*Completed* by <@U0LEAD>');
    expect(form.blocks).toContain('v2 trained on a broken feature join');
    expect(form.blocks).toContain(`${ACTIONS.closeActionItem}:A1`);
    expect(form.blocks).toContain('Stages against targets');
    expect(form.blocks).not.toContain(`"action_id":"${ACTIONS.completeRetro}"`);
  });

  it('is left as it is, with a warning and no failed delivery, when rollbot does not know where it is', async () => {
    // Posted by a build that did not keep where (an upgrade): the thread's reply still says it is complete.
    const { notifier, slack, calls, run, failures, logger } = setupNotifier({
      renderer: createSlackRenderer(new RunbookSet([])),
    });
    const incident = makeIncident({ id: 'INC-7' });
    slack('chat.postMessage');
    await notifier.notify(opened(incident));
    await run();
    slack('chat.update');
    slack('chat.postMessage');
    await notifier.notify({
      type: 'incident.updated',
      incident,
      channel: 'C0FRAUD01',
      text: 'retrospective completed by U0LEAD: v2 trained on a broken feature join; 1 action item(s)',
      retro: completed,
    });
    await run();

    expect(failures).toEqual([]);
    expect(calls.map((call) => call.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.postMessage']);
    expect(logger.warn).toHaveBeenCalledWith(
      { incident: 'INC-7' },
      'slack retrospective message not known; not redrawn',
    );
  });
});
