/**
 * `/incident show <id>` answers with the incident's summary (its head, alerts kept, stages, triage, outcome), not its
 * timeline: reading the whole timeline anyway — an alert storm's incident holds ~1.5 MB of it — would parse it on the
 * event loop that acks Slack, for nothing shown. The API and the CLI, which show the timeline, still read it. Real
 * signed HTTP to the Slack route, as Slack sends it.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { TestDeps } from '../../helpers/engine.js';
import { approvePolicyIncident, commandReply, type SlackRoute } from '../../helpers/slack-route.js';
import { incidentDetail } from '../../../src/engine/views.js';

let deps: TestDeps;
let slack: SlackRoute;
/** The incidents whose whole timeline was read (store.list), in order. */
let timelinesRead: string[];

beforeEach(async () => {
  ({ deps, slack } = await approvePolicyIncident(['U0ANA']));
  timelinesRead = [];
  const list = deps.store.list.bind(deps.store);
  deps.store.list = async (incidentId) => {
    timelinesRead.push(incidentId);
    return list(incidentId);
  };
});

afterEach(async () => {
  await slack.close();
});

it('/incident show answers with the summary without reading the timeline', async () => {
  const reply = await commandReply(slack, '/incident', 'show INC-1', 'U0ANA');
  expect(reply).toContain('INC-1 fraud-scorer');
  const shown = slack.called('response_url').at(-1)?.form as unknown as { blocks?: { block_id?: string }[] };
  expect(shown.blocks?.map((block) => block.block_id)).toContain('incident_checklist');
  expect(timelinesRead).toEqual([]);
});

it('the detail the API and the CLI show still carries the timeline, read from the store', async () => {
  const detail = await incidentDetail(deps, 'INC-1');
  expect(timelinesRead).toEqual(['INC-1']);
  expect(detail.timeline.some((entry) => entry.type === 'incident.opened')).toBe(true);
});
