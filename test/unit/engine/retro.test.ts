import { describe, expect, it } from 'vitest';
import { decide, resolve, trafficRestored, type Incident } from '../../../src/core/incident.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { addNote } from '../../../src/engine/notes.js';
import type { EngineDeps } from '../../../src/engine/context.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { resolve as resolveIncident } from '../../../src/engine/resolve.js';
import {
  RETRO_OPEN,
  RETRO_REMINDER,
  closeActionItem,
  completeRetrospective,
  getRetrospective,
  handleRetroReminder,
  openActionItems,
  openRetrospective,
  retroCounts,
} from '../../../src/engine/retro.js';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { makeDeps, metricValue, runbookYaml, TestClock, type TestDeps } from '../../helpers/engine.js';
import { makeIncident, TEST_TARGETS } from '../../helpers/incidents.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A fraud-scorer (unless given) incident rolled back v2 → v1 and resolved now; its retro is due in 48h. */
async function resolvedIncident(deps: TestDeps, model = 'fraud-scorer'): Promise<Incident> {
  const now = deps.clock.now();
  const id = await deps.store.nextIncidentId();
  const opened = makeIncident({
    id,
    model,
    at: now - 30 * MINUTE,
    targets: { ...TEST_TARGETS, retro: 48 * HOUR },
  });
  await deps.store.createIfNoneOpen(opened);
  const { incident } = await mutateIncident(deps.store, id, (current) => {
    const decided = decide(current, {
      kind: 'rollback',
      by: 'U0ONCALL',
      at: now - 25 * MINUTE,
      reason: 'accuracy fell after v2',
      trigger: 'slack',
    });
    const rolled: Incident = {
      ...decided,
      rollback: {
        attempt: 1,
        status: 'succeeded',
        plan: { from: 'v2', to: 'v1', regime: 'traffic-flip', etaMs: 5_000, actions: [], data: {} },
        target: 'kserve ml-prod/fraud-scorer',
        by: 'U0ONCALL',
        trigger: 'slack',
        reason: 'accuracy fell after v2',
        startedAt: now - 25 * MINUTE,
        endedAt: now - 24 * MINUTE,
      },
    };
    return resolve(trafficRestored(rolled, now - 24 * MINUTE), now);
  });
  return incident;
}

/** What the poller does, for reminders only: claim what is due, handle it, complete it. */
async function poll(deps: EngineDeps): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.store.claimDue(now, 60_000, 50);
  for (const deadline of due) {
    expect(deadline.kind).toBe(RETRO_REMINDER);
    await handleRetroReminder(deps, {
      incidentId: String(deadline.payload.incidentId),
      key: String(deadline.payload.key),
    });
    await deps.store.complete(deadline, now + 60_000);
  }
  return due.length;
}

/** What the retrospective said, in order: its opening message and the updates after it. */
const texts = (deps: TestDeps) =>
  deps.notifier.events.flatMap((event) =>
    event.type === 'retro.opened' || event.type === 'incident.updated' ? [event.text] : [],
  );

describe('openRetrospective', () => {
  it('stores the retro, schedules its reminders and posts a template pre-filled from the incident', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    const now = deps.clock.now();

    const { retro, opened } = await openRetrospective(deps, incident.id);

    expect(opened).toBe(true);
    expect(retro).toMatchObject({
      incidentId: incident.id,
      model: 'fraud-scorer',
      openedAt: now,
      dueAt: now + 48 * HOUR,
    });
    expect(await getRetrospective(deps, incident.id)).toEqual(retro);
    expect((await deps.store.pending()).map((d) => [d.id, d.kind, d.dueAt])).toEqual([
      [`${incident.id}:retro:due-in-24h`, RETRO_REMINDER, now + 24 * HOUR],
      [`${incident.id}:retro:due-in-2h`, RETRO_REMINDER, now + 46 * HOUR],
      [`${incident.id}:retro:overdue-0d`, RETRO_REMINDER, now + 48 * HOUR],
      [`${incident.id}:retro:overdue-1d`, RETRO_REMINDER, now + 72 * HOUR],
      [`${incident.id}:retro:overdue-2d`, RETRO_REMINDER, now + 96 * HOUR],
    ]);
    const [text] = texts(deps);
    expect(text).toContain('Blameless retrospective');
    expect(text).toContain('Trigger: ModelAccuracyDrop from alertmanager');
    expect(text).toContain('- triage: 5m against 10m, met');
    expect(text).toContain('Decision: rollback by U0ONCALL (slack)');
    expect(text).toContain('Rollback: v2 → v1 on kserve ml-prod/fraud-scorer');
    expect(text).toContain('Impact (estimate): not measured');
    expect((await deps.store.list(incident.id)).map((e) => e.type)).toEqual(['retro.opened']);
  });

  it("quotes the incident's notes in the template it posts", async () => {
    const deps = makeDeps();
    const { id } = await resolvedIncident(deps);
    await addNote(deps, id, { by: 'U0ANA', text: 'feature store stale since 01:40' });
    await openRetrospective(deps, id);
    const posted = deps.notifier.ofType('retro.opened')[0]?.text ?? '';
    expect(posted).toMatch(/\nNotes from the timeline:\n- \S+ U0ANA: feature store stale since 01:40$/);
  });

  it('says when the impact estimate rests on an answer Prometheus flagged as partial', async () => {
    const deps = makeDeps();
    const { id } = await resolvedIncident(deps);
    const impact = { windowMs: 30 * MINUTE, check: 'error rate', excessFailedRequests: 1200, formula: 'Σ' };
    await mutateIncident(deps.store, id, (current) => ({
      ...current,
      impact: { ...impact, warnings: ['store down'] },
    }));
    await openRetrospective(deps, id);
    expect(texts(deps)[0]).toContain(
      'Impact (estimate): about 1200 excess failed requests over 30m (check "error rate"; partial answer "store down")',
    );
  });

  it('does nothing the second time', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    await openRetrospective(deps, incident.id);
    deps.clock.advance(MINUTE);
    const again = await openRetrospective(deps, incident.id);
    expect(again.opened).toBe(false);
    expect(texts(deps)).toHaveLength(1);
    expect(await deps.store.pending()).toHaveLength(5);
    expect(await deps.store.list(incident.id)).toHaveLength(1);
  });

  it('refuses an incident still in triage', async () => {
    const deps = makeDeps();
    const incident = makeIncident({ id: await deps.store.nextIncidentId(), at: deps.clock.now() });
    await deps.store.createIfNoneOpen(incident);
    await expect(openRetrospective(deps, incident.id)).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    expect(await getRetrospective(deps, incident.id)).toBeUndefined();
  });
});

describe('reminders', () => {
  it('sends nothing 1 ms before a reminder and one reminder at it', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    const { retro } = await openRetrospective(deps, incident.id);

    deps.clock.set(retro.dueAt - 24 * HOUR - 1);
    expect(await poll(deps)).toBe(0);
    deps.clock.set(retro.dueAt - 24 * HOUR);
    expect(await poll(deps)).toBe(1);
    expect(texts(deps).slice(1)).toEqual([
      expect.stringContaining(`@ml: retrospective for ${incident.id} (fraud-scorer) due in 24h`),
    ]);
    expect((await getRetrospective(deps, incident.id))?.remindersSent).toEqual(['due-in-24h']);
  });

  it('reminds once when a reminder is delivered twice', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    const { retro } = await openRetrospective(deps, incident.id);
    deps.clock.set(retro.dueAt);
    expect(await handleRetroReminder(deps, { incidentId: incident.id, key: 'overdue-0d' })).toBe(true);
    expect(await handleRetroReminder(deps, { incidentId: incident.id, key: 'overdue-0d' })).toBe(false);
    expect(texts(deps).filter((t) => t.includes('OVERDUE'))).toHaveLength(1);
    expect((await deps.store.getIncident(incident.id))?.stages.retro.breachedAt).toBe(retro.dueAt);
  });

  it('still fires after a restart, and only the latest of several due reminders is sent', async () => {
    const clock = new TestClock();
    const before = makeDeps({ clock });
    const incident = await resolvedIncident(before);
    const { retro } = await openRetrospective(before, incident.id);

    // A new process on the same store: the reminders are durable deadlines, not timers of the old one.
    const after = makeDeps({ store: before.store, clock });
    clock.set(retro.dueAt - 2 * HOUR);
    expect(await poll(after)).toBe(2);
    expect(texts(after)).toEqual([expect.stringContaining('due in 2h')]);

    clock.set(retro.dueAt + DAY);
    expect(await poll(after)).toBe(2);
    expect(texts(after).slice(1)).toEqual([expect.stringContaining('is OVERDUE by 1d')]);
    expect(await after.store.pending()).toHaveLength(1);
    // The one sent still mentions the people the runbook names.
    expect(after.notifier.ofType('incident.updated').map((event) => event.mention)).toEqual([
      ['S0PLATFORM'],
      ['S0PLATFORM'],
    ]);
  });
});

describe('whom a reminder mentions', () => {
  /** The reminder 24 h before the due time of a fresh retrospective, fraud-scorer's runbook being `runbookText`. */
  async function remind(runbookText: string) {
    const parsed = parseRunbook(runbookText, 'fraud-scorer.yml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const deps = makeDeps({ runbooks: [parsed.runbook] });
    const incident = await resolvedIncident(deps);
    const { retro } = await openRetrospective(deps, incident.id);
    deps.clock.set(retro.dueAt - 24 * HOUR);
    expect(await poll(deps)).toBe(1);
    const [event] = deps.notifier.ofType('incident.updated');
    const entry = (await deps.store.list(incident.id)).find((e) => e.type === 'retro.reminder');
    return { event, entry, incident };
  }

  it('mentions retro.mention, with the owner still named in the text and the IDs as words on the timeline', async () => {
    const { event, entry, incident } = await remind(
      runbookYaml('fraud-scorer', 'retro: { mention: [U0ANA, S0FRAUDML] }'),
    );
    expect(event?.mention).toEqual(['U0ANA', 'S0FRAUDML']);
    const said = `@ml: retrospective for ${incident.id} (fraud-scorer) due in 24h`;
    expect(event?.text.slice(0, said.length)).toBe(said);
    // The timeline is read as text, not rendered: plain IDs, no Slack markup.
    expect(entry?.text).toMatch(/due in 24h, at .*; mentioning U0ANA, S0FRAUDML$/);
    expect(entry?.text).not.toContain('<');
    expect(entry?.data).toEqual({ key: 'due-in-24h', mention: ['U0ANA', 'S0FRAUDML'] });
  });

  it('mentions escalation.mention when the runbook has no retro.mention', async () => {
    const { event, entry } = await remind(runbookYaml('fraud-scorer'));
    expect(event?.mention).toEqual(['S0PLATFORM']);
    expect(entry?.text).toMatch(/; mentioning S0PLATFORM$/);
  });

  it('mentions nobody when both are empty, and says the owner as before', async () => {
    const { event, entry, incident } = await remind(
      runbookYaml('fraud-scorer').replace('[S0PLATFORM]', '[]'),
    );
    expect(event?.mention).toEqual([]);
    expect(event?.text).toContain(`@ml: retrospective for ${incident.id} (fraud-scorer) due in 24h`);
    expect(entry?.text).toBe(event?.text);
    expect(entry?.data).toEqual({ key: 'due-in-24h', mention: [] });
  });

  it('mentions nobody when retro.mention is empty, whoever escalations mention', async () => {
    const { event } = await remind(runbookYaml('fraud-scorer', 'retro: { mention: [] }'));
    expect(event?.mention).toEqual([]);
  });
});

describe('retroCounts', () => {
  it('counts a retro open until completed, overdue from its due time on', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    const { retro } = await openRetrospective(deps, incident.id);
    const counts = async (now: number) =>
      Object.fromEntries((await retroCounts(deps, now)).map(({ model, ...rest }) => [model, rest]));

    expect(await counts(retro.dueAt - 1)).toEqual({
      'fraud-scorer': { open: 1, overdue: 0 },
      'churn-predictor': { open: 0, overdue: 0 },
    });
    expect((await counts(retro.dueAt))['fraud-scorer']).toEqual({ open: 1, overdue: 1 });
    await completeRetrospective(deps, incident.id, { by: 'U1', rootCause: 'bad feature join' });
    expect((await counts(retro.dueAt))['fraud-scorer']).toEqual({ open: 0, overdue: 0 });
  });
});

describe('completeRetrospective', () => {
  it("tells the thread with the completed retrospective, so that the retrospective's message is redrawn", async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    await openRetrospective(deps, incident.id);
    deps.clock.advance(HOUR);
    await completeRetrospective(deps, incident.id, {
      by: 'U0LEAD',
      rootCause: 'v2 trained on a broken feature join',
      actionItemsText: '@ana | add a join test | 2026-12-15',
    });

    const told = deps.notifier
      .ofType('incident.updated')
      .filter((event) => event.text.startsWith('retrospective completed'));
    expect(told).toHaveLength(1);
    expect(told[0]?.retro).toMatchObject({
      incidentId: incident.id,
      completedBy: 'U0LEAD',
      completedAt: deps.clock.now(),
      rootCause: 'v2 trained on a broken feature join',
      actionItems: [{ id: 'A1', owner: '@ana' }],
    });
  });

  it('validates, closes the incident, cancels the reminders and records it', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    const { retro } = await openRetrospective(deps, incident.id);
    deps.clock.advance(3 * HOUR);
    const input = {
      by: 'U0LEAD',
      rootCause: 'v2 trained on a broken feature join',
      actionItemsText: '@ana | add a join test | 2026-12-15',
    };

    await expect(
      completeRetrospective(deps, incident.id, { ...input, rootCause: '  ' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      completeRetrospective(deps, incident.id, { ...input, actionItemsText: '\nnonsense' }),
    ).rejects.toThrow(/line 2/);
    expect((await getRetrospective(deps, incident.id))?.completedAt).toBeUndefined();

    const done = await completeRetrospective(deps, incident.id, {
      ...input,
      wentWell: 'rollback took 1m',
      wentBadly: '',
    });
    expect(done).toMatchObject({
      completedBy: 'U0LEAD',
      rootCause: input.rootCause,
      wentWell: 'rollback took 1m',
      actionItems: [{ id: 'A1', owner: '@ana' }],
    });
    expect(done).not.toHaveProperty('wentBadly');
    const closed = await deps.store.getIncident(incident.id);
    expect(closed?.phase).toBe('closed');
    expect(closed?.stages.retro).toEqual({ startedAt: retro.openedAt, endedAt: retro.openedAt + 3 * HOUR });
    expect(await deps.store.pending()).toEqual([]);
    expect((await deps.store.list(incident.id)).map((e) => e.type)).toEqual([
      'retro.opened',
      'retro.completed',
    ]);
    expect(texts(deps).at(-1)).toContain('1 action item(s) now block the next deployment of fraud-scorer');

    await expect(completeRetrospective(deps, incident.id, input)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await handleRetroReminder(deps, { incidentId: incident.id, key: 'overdue-0d' })).toBe(false);
  });
});

describe('a completion the store failed part way through', () => {
  it('is recorded and told by the retry that finds it completed, once', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    await openRetrospective(deps, incident.id);
    deps.clock.advance(3 * HOUR);
    const input = {
      by: 'U0LEAD',
      rootCause: 'v2 trained on a broken feature join',
      actionItemsText: '@ana | add a join test | 2026-12-15',
    };
    // Redis drops the connection as the incident is being closed: the retrospective itself was stored.
    const blip = makeDeps({
      clock: deps.clock,
      store: {
        ...deps.store,
        updateIncident: async () => {
          throw new Error('ECONNRESET');
        },
      },
    });
    await expect(completeRetrospective(blip, incident.id, input)).rejects.toThrow('ECONNRESET');

    // The person submits again: told it is done, and the incident's record now says so, once.
    deps.clock.advance(MINUTE);
    await expect(completeRetrospective(deps, incident.id, { ...input, by: 'U0OTHER' })).rejects.toMatchObject(
      { code: 'CONFLICT' },
    );
    expect((await deps.store.getIncident(incident.id))?.phase).toBe('closed');
    const completed = (await deps.store.list(incident.id)).filter((e) => e.type === 'retro.completed');
    expect(completed).toMatchObject([{ actor: 'U0LEAD' }]);
    expect(completed[0]?.text).toContain(
      'retrospective completed by U0LEAD: v2 trained on a broken feature join',
    );
    expect(texts(deps).filter((text) => text.startsWith('retrospective completed'))).toHaveLength(1);
    expect(
      await metricValue(deps.metrics, 'rollbot_stage_duration_seconds', { stage: 'retro', le: '+Inf' }),
    ).toBe(1);

    await expect(completeRetrospective(deps, incident.id, input)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await deps.store.list(incident.id)).filter((e) => e.type === 'retro.completed')).toHaveLength(1);
  });
});

describe('the completion message', () => {
  it('says where a long root cause was cut, and never cuts a character in half', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    await openRetrospective(deps, incident.id);
    const rootCause = `${'x'.repeat(298)}😀 and the feature join dropped rows`;
    await completeRetrospective(deps, incident.id, { by: 'U0LEAD', rootCause });

    const completed = (await deps.store.list(incident.id)).find((e) => e.type === 'retro.completed');
    for (const text of [completed?.text ?? '', texts(deps).at(-1) ?? '']) {
      expect(text).toMatch(/^retrospective completed by U0LEAD: x{298}…; no action items$/);
    }
  });
});

describe('action items', () => {
  it('tells the thread of a closed action item with the retrospective, so that its Close button goes', async () => {
    const deps = makeDeps();
    const incident = await resolvedIncident(deps);
    await completeRetrospective(deps, incident.id, {
      by: 'U0LEAD',
      rootCause: 'drift',
      actionItemsText: '@ana | one\n@bo | two',
    });
    await closeActionItem(deps, incident.id, 'A1', 'U0ANA');
    await closeActionItem(deps, incident.id, 'A1', 'U0BO');

    const told = deps.notifier
      .ofType('incident.updated')
      .filter((event) => event.text.startsWith('action item'));
    expect(told).toHaveLength(1);
    expect(told[0]?.text).toBe('action item A1 closed by U0ANA: one');
    expect(told[0]?.retro?.actionItems.map(({ id, status }) => [id, status])).toEqual([
      ['A1', 'closed'],
      ['A2', 'open'],
    ]);
  });

  it('closes an item once and lists only open items of the model for the gate', async () => {
    const deps = makeDeps();
    const first = await resolvedIncident(deps);
    await completeRetrospective(deps, first.id, {
      by: 'U1',
      rootCause: 'drift',
      actionItemsText: '@ana | one\n@bo | two',
    });
    const second = await resolvedIncident(deps);
    await completeRetrospective(deps, second.id, {
      by: 'U1',
      rootCause: 'drift again',
      actionItemsText: '@cy | three',
    });
    const other = await resolvedIncident(deps, 'churn-predictor');
    await completeRetrospective(deps, other.id, { by: 'U1', rootCause: 'x', actionItemsText: '@dee | four' });

    expect(await closeActionItem(deps, first.id, 'A1', 'U0ANA')).toMatchObject({
      changed: true,
      item: { status: 'closed', closedBy: 'U0ANA' },
    });
    expect((await closeActionItem(deps, first.id, 'A1', 'U0BO')).changed).toBe(false);
    await expect(closeActionItem(deps, first.id, 'A9', 'U0ANA')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const closings = (await deps.store.list(first.id)).filter((e) => e.type === 'retro.action_item_closed');
    expect(closings).toHaveLength(1);

    const open = await openActionItems(deps, 'fraud-scorer');
    expect(open.map(({ incidentId, item }) => [incidentId, item.id, item.text])).toEqual([
      [first.id, 'A2', 'two'],
      [second.id, 'A1', 'three'],
    ]);
  });

  it('refuses an item of an incident with no retrospective without taking the lock (which leaves a fence)', async () => {
    const deps = makeDeps();
    const locks: string[] = [];
    const acquire = deps.store.acquire.bind(deps.store);
    deps.store.acquire = (name, ...rest) => {
      locks.push(name);
      return acquire(name, ...rest);
    };
    await expect(closeActionItem(deps, 'INC-404', 'A1', 'U0ANA')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'no retrospective for INC-404',
    });
    expect(await handleRetroReminder(deps, { incidentId: 'INC-404', key: 'due' })).toBe(false);
    await expect(completeRetrospective(deps, 'INC-404', { by: 'U1', rootCause: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(locks).toEqual([]);

    // A real one still takes the lock to be created and changed, and the one it is posted under.
    const incident = await resolvedIncident(deps);
    await openRetrospective(deps, incident.id);
    expect(locks).toEqual([`retro:${incident.id}`, `retro-open:${incident.id}`]);
  });
});

describe('the retrospective of a resolution', () => {
  /** An open incident in triage, as intake leaves it. */
  async function openedIncident(deps: TestDeps): Promise<Incident> {
    const incident = makeIncident({ id: await deps.store.nextIncidentId(), at: deps.clock.now() });
    await deps.store.createIfNoneOpen(incident);
    return incident;
  }

  it('opens at once, leaving no stand-in deadline behind', async () => {
    const deps = makeDeps();
    const incident = await openedIncident(deps);
    await resolveIncident(deps, incident.id, { by: 'U0ONCALL', reason: 'fixed upstream' });
    expect(await getRetrospective(deps, incident.id)).toBeDefined();
    expect((await deps.store.pending()).map((d) => d.kind)).not.toContain(RETRO_OPEN);
  });

  it('still opens, from its deadline, when the resolver dies right after the resolution is written', async () => {
    const deps = makeDeps();
    const incident = await openedIncident(deps);
    const inner = deps.store;
    const dying = makeDeps({ clock: deps.clock, store: { ...inner } });
    dying.store.updateIncident = async (...args) => {
      const stored = await inner.updateIncident(...args);
      if (stored?.phase === 'resolved') throw new Error('SIGKILL: the process is gone');
      return stored;
    };
    await expect(
      resolveIncident(dying, incident.id, { by: 'U0ONCALL', reason: 'fixed upstream' }),
    ).rejects.toThrow('SIGKILL');
    expect((await deps.store.getIncident(incident.id))?.phase).toBe('resolved');
    expect(await getRetrospective(deps, incident.id)).toBeUndefined();

    deps.clock.advance(MINUTE - 1);
    await pollDeadlines(deps);
    expect(await getRetrospective(deps, incident.id)).toBeUndefined();
    deps.clock.advance(1);
    await pollDeadlines(deps);
    expect(await getRetrospective(deps, incident.id)).toMatchObject({ incidentId: incident.id });
    expect(deps.notifier.ofType('retro.opened')).toHaveLength(1);
    expect((await deps.store.pending()).map((d) => d.kind)).not.toContain(RETRO_OPEN);
  });

  it('is still posted, from its deadline, when the store failed between storing it and posting it', async () => {
    const deps = makeDeps();
    const incident = await openedIncident(deps);
    const inner = deps.store;
    const blip = makeDeps({ clock: deps.clock, store: { ...inner } });
    blip.store.schedule = async (deadline) => {
      if (deadline.kind === RETRO_REMINDER) throw new Error('ECONNRESET');
      return inner.schedule(deadline);
    };
    await resolveIncident(blip, incident.id, { by: 'U0ONCALL', reason: 'fixed upstream' });
    expect(await getRetrospective(deps, incident.id)).toBeDefined();
    expect(deps.notifier.ofType('retro.opened')).toHaveLength(0);

    deps.clock.advance(MINUTE);
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('retro.opened')).toHaveLength(1);
    expect((await deps.store.list(incident.id)).filter((e) => e.type === 'retro.opened')).toHaveLength(1);
    expect((await deps.store.pending()).map((d) => d.kind)).not.toContain(RETRO_OPEN);

    deps.clock.advance(MINUTE);
    await openRetrospective(deps, incident.id);
    expect(deps.notifier.ofType('retro.opened')).toHaveLength(1);
  });

  it('keeps its deadline while another replica is posting it, and posts it should that one die', async () => {
    const deps = makeDeps();
    const incident = await openedIncident(deps);
    // Another replica took the post's lock and died with it.
    expect(
      await deps.store.acquire(`retro-open:${incident.id}`, 'rollbot', 2 * MINUTE, deps.clock.now()),
    ).toBeDefined();
    await resolveIncident(deps, incident.id, { by: 'U0ONCALL', reason: 'fixed upstream' });
    expect(deps.notifier.ofType('retro.opened')).toHaveLength(0);
    expect((await deps.store.pending()).map((d) => d.kind)).toContain(RETRO_OPEN);

    deps.clock.advance(2 * MINUTE);
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('retro.opened')).toHaveLength(1);
    expect((await deps.store.pending()).map((d) => d.kind)).not.toContain(RETRO_OPEN);
  });

  it('is not forced on an incident whose resolution never happened', async () => {
    const deps = makeDeps();
    const incident = await openedIncident(deps);
    const down = makeDeps({
      clock: deps.clock,
      store: {
        ...deps.store,
        updateIncident: async () => {
          throw new Error('ECONNRESET');
        },
      },
    });
    await expect(resolveIncident(down, incident.id, { by: 'U0ONCALL', reason: 'x' })).rejects.toThrow(
      'ECONNRESET',
    );
    deps.clock.advance(MINUTE);
    expect(await pollDeadlines(deps)).toBe(1);
    expect((await deps.store.getIncident(incident.id))?.phase).toBe('triage');
    expect(await getRetrospective(deps, incident.id)).toBeUndefined();
    expect(await deps.store.pending()).toEqual([]);
  });
});
