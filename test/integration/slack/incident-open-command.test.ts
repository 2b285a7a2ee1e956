/**
 * `/incident open <model> <sevN> <what is wrong>`: a person declares an incident from Slack — a customer report
 * before any alert fired — through the engine's declareIncident, answered only to them. Real signed HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { commandReply, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

/** conversations.list's answer: the workspace's channels the bot can see, one page. */
const channelList = (channels: { id: string; name: string }[]) => ({
  ok: true,
  channels,
  response_metadata: { next_cursor: '' },
});

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  deps = makeDeps({ clock: new RealClock(), runbooks: [makeRunbook('fraud-scorer')] });
  slack = await serveSlackRoute(deps);
});

afterEach(async () => {
  await slack.close();
});

/** Sends `/incident <text>` as Ana and returns the reply to her. */
const incident = (text: string) => commandReply(slack, '/incident', text, 'U0ANA');

describe('/incident open', () => {
  it('opens an incident at the severity given, in triage, and says where it is', async () => {
    const reply = await incident('open fraud-scorer sev2 customers report wrong scores since 01:30');
    expect(reply).toBe('Opened INC-1 (SEV-2) for fraud-scorer in <#C0TEST0001>: triage measures it now.');
    expect(await deps.store.getIncident('INC-1')).toMatchObject({
      phase: 'triage',
      severity: 2,
      summary: 'customers report wrong scores since 01:30',
    });
    expect(deps.notifier.ofType('incident.opened')).toHaveLength(1);
  });

  it("joins the model's open incident instead, raising its severity, and says so", async () => {
    await ingestAlerts(deps, [firing('fraud-scorer', Date.now())]);
    const reply = await incident('open fraud-scorer sev1 it is worse than the alert says');
    expect(reply).toBe('fraud-scorer already has INC-1 open: your report joined it (SEV-1).');
    expect(await deps.store.listIncidents({})).toHaveLength(1);
  });

  it('refuses a mistyped model with the known ones, opening nothing', async () => {
    const reply = await incident('open fraud-scorr sev2 wrong scores');
    expect(reply).toContain('no runbook for model "fraud-scorr" (did you mean "fraud-scorer"?)');
    expect(await deps.store.listIncidents({})).toEqual([]);
  });

  describe('for a runbook that names its channel as #name', () => {
    /** Serves the Slack route again, on a runbook channel `#ml-alerts`, with Slack answering conversations.list. */
    async function withNamedChannel(answer: object): Promise<void> {
      await slack.close();
      deps = makeDeps({
        clock: new RealClock(),
        runbooks: [{ ...makeRunbook('fraud-scorer'), channel: '#ml-alerts' }],
      });
      slack = await serveSlackRoute(deps, { answers: { 'conversations.list': answer } });
    }

    it("links the channel by the ID the bot's channel directory finds for the name", async () => {
      await withNamedChannel(channelList([{ id: 'C0MLALERTS', name: 'ml-alerts' }]));
      const reply = await incident('open fraud-scorer sev2 customers report wrong scores');
      expect(reply).toBe('Opened INC-1 (SEV-2) for fraud-scorer in <#C0MLALERTS>: triage measures it now.');
      expect(slack.called('conversations.list')).toHaveLength(1);
    });

    it('shows the name as text when Slack knows no such channel, and the incident is open all the same', async () => {
      await withNamedChannel(channelList([{ id: 'C0OTHER01', name: 'ml-other' }]));
      const reply = await incident('open fraud-scorer sev2 customers report wrong scores');
      expect(reply).toBe('Opened INC-1 (SEV-2) for fraud-scorer in #ml-alerts: triage measures it now.');
      expect(slack.called('conversations.list')).toHaveLength(1);
      expect(await deps.store.getIncident('INC-1')).toMatchObject({ phase: 'triage', severity: 2 });
    });

    it('shows the name as text when the channel list cannot be read (a scope the app lacks)', async () => {
      await withNamedChannel({ ok: false, error: 'missing_scope' });
      const reply = await incident('open fraud-scorer sev3 customers report wrong scores');
      expect(reply).toBe('Opened INC-1 (SEV-3) for fraud-scorer in #ml-alerts: triage measures it now.');
      expect(slack.called('conversations.list')).toHaveLength(1);
      expect(await deps.store.getIncident('INC-1')).toMatchObject({ phase: 'triage', severity: 3 });
    });
  });
});
