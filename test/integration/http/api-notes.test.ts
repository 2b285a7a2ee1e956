import { beforeEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { resolve } from '../../../src/engine/resolve.js';
import { firing } from '../../helpers/alerts.js';
import { useServedApp } from '../../helpers/api.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';
import { apiFetch, apiPost, json, serveApp } from '../../helpers/http.js';

/** fraud-scorer lets only U0LEAD act (a note is no action: anyone's is taken), with INC-1 in triage. */
const app = useServedApp(() =>
  makeDeps({ runbooks: [makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }')] }),
);
// Registered after useServedApp: INC-1 opens once the app is served.
beforeEach(() => ingestAlerts(app.deps, [firing('fraud-scorer', app.deps.clock.now())]));

function note(id: string, body: unknown, headers: Record<string, string> = {}) {
  return apiPost(`${app.server.url}/api/incidents/${id}/notes`, body, headers);
}

/** What a refused note must leave as it was: the incident, its timeline, and what the channel was told. */
const stored = async () => ({
  incident: await app.deps.store.getIncident('INC-1'),
  timeline: await app.deps.store.list('INC-1'),
  told: app.deps.notifier.events.length,
});

describe('POST /api/incidents/:id/notes', () => {
  it("adds the note to the timeline as its author's, answering 201 with the entry, and tells the channel", async () => {
    const incident = await app.deps.store.getIncident('INC-1');
    const response = await note('INC-1', { by: 'U0ANA', text: ' feature store stale since 01:40 ' });
    expect(response.status).toBe(201);
    const entry = await json(response);
    expect(entry).toMatchObject({
      incidentId: 'INC-1',
      type: 'note',
      actor: 'U0ANA',
      text: 'feature store stale since 01:40',
    });
    expect((await app.deps.store.list('INC-1')).at(-1)).toEqual(entry);
    expect(app.deps.notifier.ofType('incident.updated').at(-1)?.text).toBe(
      'note by U0ANA: feature store stale since 01:40',
    );
    expect(await app.deps.store.getIncident('INC-1')).toEqual(incident);
    const timeline = (await json(apiFetch(`${app.server.url}/api/incidents/INC-1`))).timeline;
    expect(timeline.at(-1)).toEqual(entry);
  });

  it('takes a note on a resolved incident, for its retrospective', async () => {
    await resolve(app.deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    const response = await note('INC-1', { by: 'ci:retro-bot', text: 'dashboard link: https://grafana/x' });
    expect(response.status).toBe(201);
    expect(await json(response)).toMatchObject({ type: 'note', actor: 'ci:retro-bot' });
  });

  it('refuses a body without text or author, an empty or too long note, with 400, recording nothing', async () => {
    const before = await stored();
    const refusals = [
      [{ by: 'U0ANA' }, /^invalid note: text: /],
      [{ text: 'stale features' }, /^invalid note: by: name who wrote the note/],
      [{ by: '', text: 'stale features' }, /^invalid note: by: name who wrote the note/],
      [{ by: 'U0ANA', text: 42 }, /^invalid note: text: /],
      [
        { by: 'U0ANA', txt: 'stale features' },
        /^invalid note: .*txt: unknown field \(did you mean "text"\?\)/,
      ],
      [{ by: 'U0ANA', text: '  ' }, /^a note needs text$/],
      [{ by: 'U0ANA', text: 'x'.repeat(3_001) }, /^a note is at most 3000 characters; this one has 3001$/],
    ] as const;
    for (const [body, message] of refusals) {
      const response = await note('INC-1', body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const { error } = await json(response);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(message);
      expect(error.hint).toBeTruthy();
    }
    expect(await stored()).toEqual(before);
  });

  it('answers 404 with how to find it for an unknown incident', async () => {
    const before = await stored();
    const unknown = await note('INC-9', { by: 'U0ANA', text: 'stale features' });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'no incident INC-9',
      hint: 'list incidents with `/incident list` or `rollbot incidents`',
    });
    expect(await stored()).toEqual(before);
    expect(await app.deps.store.list('INC-9')).toEqual([]);
  });

  it('requires the API token, and is off without one, recording nothing', async () => {
    const before = await stored();
    const untokened = await note('INC-1', { by: 'U0ANA', text: 'x' }, { authorization: '' });
    expect(untokened.status).toBe(401);
    await app.server.close();
    app.server = await serveApp(app.deps, { apiToken: undefined });
    const off = await note('INC-1', { by: 'U0ANA', text: 'x' });
    expect(off.status).toBe(403);
    expect(await stored()).toEqual(before);
  });
});
