import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import type {
  Arrival,
  EscalationEvent,
  NotifierEvent,
  TriageDecisionRequest,
} from '../../../src/engine/notifier-port.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createPagingNotifier, type SetTimer } from '../../../src/paging/notifier.js';
import type { Page, Pager } from '../../../src/paging/types.js';
import { RecordingNotifier, TestClock } from '../../helpers/engine.js';
import { executingRollback, makeIncident } from '../../helpers/incidents.js';

const opened = (incident: Incident): NotifierEvent => ({ type: 'incident.opened', incident, channel: '#ml' });
const escalation = (incident: Incident): EscalationEvent => ({
  type: 'escalation',
  incident,
  channel: '#ml',
  stage: 'triage',
  mention: ['S0ONCALL'],
  text: 'triage target missed',
});
const decisionRequest = (incident: Incident, triageAt: number): TriageDecisionRequest => ({
  type: 'decision.requested',
  incident,
  channel: '#ml',
  text: 'threshold breached: one approver must decide',
  approvers: [],
  policy: 'approve',
  triageAt,
});
const resolved = (incident: Incident): NotifierEvent => ({
  type: 'incident.updated',
  incident: { ...incident, phase: 'resolved' },
  channel: '#ml',
  text: 'resolved',
});

/** A provider that is down: the pager keeps retrying each page until it is told to stop. */
const downPager = (stopped: string[]): Pager => ({
  send: (page, signal) =>
    new Promise<void>((_, reject) =>
      signal?.addEventListener('abort', () => {
        stopped.push(`${page.action} ${page.dedupKey}`);
        reject(new Error('stopped retrying'));
      }),
    ),
});

/** A shutdown deadline that passes when the test says so. */
function manualDeadline() {
  const deadline = { ms: [] as number[], cancelled: 0, pass: (): void => undefined };
  const setTimer: SetTimer = (fn, ms) => {
    deadline.ms.push(ms);
    deadline.pass = fn;
    return () => (deadline.cancelled += 1);
  };
  return { deadline, setTimer };
}

/** A paging notifier for fraud-scorer that logs JSON lines (error level) into `lines`. */
function withLogLines(pager: Pager, setTimer: SetTimer) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const notifier = createPagingNotifier({
    inner: new RecordingNotifier(),
    pagerFor: () => ({ pager, hours: { timezone: 'UTC' } }),
    clock: new TestClock(),
    logger: createLogger({ level: 'error', destination }),
    setTimer,
  });
  return { notifier, lines };
}

class RecordingPager implements Pager {
  readonly pages: Page[] = [];
  constructor(private readonly fail = false) {}
  async send(page: Page): Promise<void> {
    if (this.fail) throw new Error('PagerDuty is down');
    this.pages.push(page);
  }
}

/**
 * A provider by PagerDuty's and Opsgenie's rule: a trigger on a key whose alert is open (triggered or acknowledged)
 * is appended to that alert and rings nobody; one on a key with no open alert opens one, which rings.
 */
class RingingProvider implements Pager {
  readonly rang: string[] = [];
  private readonly open = new Map<string, 'triggered' | 'acknowledged'>();
  async send(page: Page): Promise<void> {
    if (page.action === 'resolve') this.open.delete(page.dedupKey);
    if (page.action === 'acknowledge' && this.open.has(page.dedupKey)) this.acknowledge(page.dedupKey);
    if (page.action !== 'trigger' || this.open.has(page.dedupKey)) return;
    this.open.set(page.dedupKey, 'triggered');
    this.rang.push(page.summary);
  }
  /** The on-call pressing Acknowledge on their phone. */
  acknowledge(key: string): void {
    this.open.set(key, 'acknowledged');
  }
}

function setup(pager: Pager, options: { pages?: boolean } = {}) {
  const inner = new RecordingNotifier();
  const logger = createLogger({ level: 'silent' });
  const error = vi.spyOn(logger, 'error');
  const digest: { event: NotifierEvent; timezone: string }[] = [];
  const notifier = createPagingNotifier({
    inner,
    pagerFor: (model) =>
      options.pages === false || model !== 'fraud-scorer'
        ? undefined
        : { pager, hours: { timezone: 'Europe/Dublin' } },
    clock: new TestClock(Date.parse('2026-06-15T09:00:00Z')),
    logger,
    digest: (event, hours) => digest.push({ event, timezone: hours.timezone }),
  });
  return { inner, notifier, digest, error };
}

describe('createPagingNotifier', () => {
  it('tells the inner notifier, then pages', async () => {
    const pager = new RecordingPager();
    const { inner, notifier } = setup(pager);
    const event = opened(makeIncident({ id: 'INC-1', severity: 1 }));
    await notifier.notify(event);
    await notifier.idle();
    expect(inner.events).toEqual([event]);
    expect(pager.pages).toMatchObject([{ action: 'trigger', dedupKey: 'rollbot-INC-1' }]);
  });

  it('acknowledges a page once, however many events follow the acknowledgement', async () => {
    const pager = new RecordingPager();
    const { notifier } = setup(pager);
    const incident = makeIncident({ id: 'INC-1', severity: 1 });
    const acked = { ...incident, acknowledged: { by: 'U0ANA', at: incident.openedAt } };
    await notifier.notify(opened(incident));
    for (const text of ['acknowledged by U0ANA', 'triage: FAIL', 'rolling back'])
      await notifier.notify({ type: 'incident.updated', incident: acked, channel: '#ml', text });
    await notifier.notify({
      type: 'incident.updated',
      incident: { ...acked, phase: 'resolved' },
      channel: '#ml',
      text: 'ok',
    });
    await notifier.idle();
    expect(pager.pages.map((page) => page.action)).toEqual(['trigger', 'acknowledge', 'resolve']);
  });

  it('pages an escalation after the opening page was acknowledged on a key of its own, and resolves both', async () => {
    const pager = new RecordingPager();
    const { notifier } = setup(pager);
    const incident = makeIncident({ id: 'INC-1', severity: 1 });
    const acked = { ...incident, acknowledged: { by: 'U0ANA', at: incident.openedAt } };
    await notifier.notify(opened(incident));
    await notifier.notify({ type: 'incident.updated', incident: acked, channel: '#ml', text: 'on it' });
    // The on-call acknowledged, then triage ran out: the provider must ring again, not append to the acked page.
    const missed = {
      ...acked,
      stages: { ...acked.stages, triage: { ...acked.stages.triage, breachedAt: 1 } },
    };
    await notifier.notify(escalation(missed));
    await notifier.notify({
      type: 'incident.updated',
      incident: { ...missed, phase: 'dismissed' },
      channel: '#ml',
      text: 'not a rollback',
    });
    await notifier.idle();
    const ofKey = (key: string) =>
      pager.pages.filter((page) => page.dedupKey === key).map((page) => page.action);
    expect(ofKey('rollbot-INC-1')).toEqual(['trigger', 'acknowledge', 'resolve']);
    // The stage's earlier page, if any, is resolved first, so that this trigger opens an alert that rings.
    expect(ofKey('rollbot-INC-1-triage')).toEqual(['resolve', 'trigger', 'resolve']);
  });

  it("rings for a stage's second escalation though the on-call acknowledged its first (late, then FAILED)", async () => {
    const provider = new RingingProvider();
    const { notifier } = setup(provider);
    const incident = { ...makeIncident({ id: 'INC-1', severity: 1 }), phase: 'rollback' as const };
    const onStage = (text: string): EscalationEvent => ({ ...escalation(incident), stage: 'rollback', text });
    await notifier.notify(onStage('rollback target missed: 5m passed'));
    await notifier.idle();
    // The on-call acknowledged "target missed" on their phone, and waits for the redeploy to finish.
    provider.acknowledge('rollbot-INC-1-rollback');
    await notifier.notify(onStage('rollback of fraud-scorer to v41 FAILED: 503; decide now'));
    await notifier.idle();
    expect(provider.rang).toEqual([
      '[SEV-1] rollback target missed: 5m passed',
      '[SEV-1] rollback of fraud-scorer to v41 FAILED: 503; decide now',
    ]);
  });

  it('does not page for an alert that arrived late: its incident pages, or not, by its severity', async () => {
    const pager = new RecordingPager();
    const { notifier, digest } = setup(pager);
    // Detection missed its target (the alert's startsAt 12 minutes before it arrived), escalated at once.
    const late = (severity: 1 | 4, id: string) => {
      const incident = makeIncident({ id, severity });
      return {
        ...incident,
        stages: { ...incident.stages, detect: { ...incident.stages.detect, breachedAt: 1 } },
      };
    };
    for (const incident of [late(4, 'INC-4'), late(1, 'INC-1')]) {
      await notifier.notify(opened(incident));
      await notifier.notify({
        ...escalation(incident),
        stage: 'detect',
        text: 'detect target missed: the alert arrived late; check alert rule `for:` and Alertmanager group_wait',
      });
    }
    await notifier.idle();
    // The SEV-4 is in the digest and rings nobody at 2am; the SEV-1 rang once, for the incident, not twice.
    expect(digest.map(({ event }) => event.type === 'incident.opened' && event.incident.id)).toEqual([
      'INC-4',
    ]);
    expect(pager.pages.map((page) => [page.action, page.dedupKey])).toEqual([['trigger', 'rollbot-INC-1']]);
  });

  it("sends a SEV-4's missed target to the digest and delivers it to Slack, paging nobody", async () => {
    const pager = new RecordingPager();
    const { inner, notifier, digest } = setup(pager);
    const incident = makeIncident({ id: 'INC-4', severity: 4 });
    const event = escalation(incident);
    const arrival = await notifier.deliver(event);
    await notifier.idle();
    // Delivered (Slack has it) without a page: the record must not say the on-call was paged.
    expect(arrival).toEqual({ arrived: true });
    expect(inner.events).toContainEqual(event);
    expect(digest).toEqual([{ event, timezone: 'Europe/Dublin' }]);
    expect(pager.pages).toEqual([]);
  });

  it('resolves an incident once, however many updates follow its end (notes for the retrospective)', async () => {
    const pager = new RecordingPager();
    const { notifier } = setup(pager);
    const incident = makeIncident({ id: 'INC-1', severity: 1 });
    const over = { ...incident, phase: 'resolved' as const };
    await notifier.notify(opened(incident));
    for (const text of [
      'resolved by U0ANA',
      'note by U0ANA: cache was cold',
      'note by U0BO: see the dashboard',
    ])
      await notifier.notify({ type: 'incident.updated', incident: over, channel: '#ml', text });
    await notifier.idle();
    expect(pager.pages.map((page) => [page.action, page.dedupKey])).toEqual([
      ['trigger', 'rollbot-INC-1'],
      ['resolve', 'rollbot-INC-1'],
    ]);
  });

  it('tries a resolve or an acknowledge that failed again on the next event, rather than never', async () => {
    // The provider fails the first acknowledge and the first resolve for good (its retry window spent).
    const failedOnce = new Set<string>();
    const pages: string[] = [];
    const pager: Pager = {
      send: async (page) => {
        if (page.action !== 'trigger' && !failedOnce.has(page.action)) {
          failedOnce.add(page.action);
          throw new Error('PagerDuty kept answering 503');
        }
        pages.push(`${page.action} ${page.dedupKey}`);
      },
    };
    const { notifier } = setup(pager);
    const incident = makeIncident({ id: 'INC-1', severity: 1 });
    const acked = { ...incident, acknowledged: { by: 'U0ANA', at: incident.openedAt } };
    await notifier.notify(opened(incident));
    for (const text of ['acknowledged by U0ANA', 'triage: FAIL']) {
      await notifier.notify({ type: 'incident.updated', incident: acked, channel: '#ml', text });
      await notifier.idle();
    }
    // Resolved in Slack; the next update (a note for the retrospective) resolves the page after all.
    const over = { ...acked, phase: 'resolved' as const };
    for (const text of ['resolved by U0ANA', 'note by U0ANA: cache was cold', 'note by U0BO: dashboards']) {
      await notifier.notify({ type: 'incident.updated', incident: over, channel: '#ml', text });
      await notifier.idle();
    }
    expect(pages).toEqual(['trigger rollbot-INC-1', 'acknowledge rollbot-INC-1', 'resolve rollbot-INC-1']);
  });

  it("keeps an incident's pages in order: a resolve waits for its trigger, still being retried", async () => {
    const delivered: string[] = [];
    let providerBack: () => void = () => undefined;
    const pager: Pager = {
      async send(page) {
        // INC-1's trigger meets a provider outage: the pager keeps retrying it until the provider is back.
        if (page.dedupKey === 'rollbot-INC-1' && page.action === 'trigger') {
          await new Promise<void>((resolve) => (providerBack = resolve));
        }
        delivered.push(`${page.action} ${page.dedupKey}`);
      },
    };
    const { notifier } = setup(pager);
    const incident = makeIncident({ id: 'INC-1', severity: 1 });
    await notifier.notify(opened(incident));
    await notifier.notify(resolved(incident));
    await notifier.notify(opened(makeIncident({ id: 'INC-2', severity: 1 })));
    expect(delivered).toEqual(['trigger rollbot-INC-2']);
    providerBack();
    await notifier.idle();
    expect(delivered).toEqual(['trigger rollbot-INC-2', 'trigger rollbot-INC-1', 'resolve rollbot-INC-1']);
  });

  it('at shutdown, waits at most its deadline, then stops and logs each page still being retried', async () => {
    const stopped: string[] = [];
    const { deadline, setTimer } = manualDeadline();
    const { notifier, lines } = withLogLines(downPager(stopped), setTimer);
    const incident = makeIncident({ id: 'INC-1', severity: 1 });
    await notifier.notify(opened(incident));
    await notifier.notify(resolved(incident));

    const stopping = notifier.idle();
    expect(deadline.ms).toEqual([5_000]);
    deadline.pass();
    await stopping;

    expect(stopped).toEqual(['trigger rollbot-INC-1']);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        incidentId: 'INC-1',
        action: 'trigger',
        msg:
          'paging abandoned at shutdown: the trigger page for INC-1 was not delivered within 5000 ms (the paging ' +
          'provider kept failing or did not answer); nobody was paged: page the on-call by hand',
      }),
      expect.objectContaining({
        level: 50,
        incidentId: 'INC-1',
        action: 'resolve',
        msg: expect.stringMatching(
          /resolve page for INC-1 .*resolve the incident's alert in the paging provider by hand$/,
        ),
      }),
    ]);
  });

  it('returns as soon as the pages are sent, without waiting for its deadline', async () => {
    const { deadline, setTimer } = manualDeadline();
    let providerAnswers: () => void = () => undefined;
    const pager: Pager = { send: () => new Promise<void>((resolve) => (providerAnswers = resolve)) };
    const { notifier, lines } = withLogLines(pager, setTimer);
    await notifier.notify(opened(makeIncident({ id: 'INC-1', severity: 1 })));
    const stopping = notifier.idle();
    providerAnswers();
    await stopping;
    expect(deadline).toMatchObject({ ms: [5_000], cancelled: 1 });
    expect(lines).toEqual([]);
  });

  it('does not wait for the page', async () => {
    let release: () => void = () => undefined;
    const pager: Pager = { send: () => new Promise<void>((resolve) => (release = resolve)) };
    const { notifier } = setup(pager);
    await notifier.notify(opened(makeIncident({ severity: 1 })));
    release();
    await notifier.idle();
  });

  it('logs a failed page and still resolves notify', async () => {
    const { inner, notifier, error } = setup(new RecordingPager(true));
    await expect(notifier.notify(opened(makeIncident({ severity: 1 })))).resolves.toBeUndefined();
    await notifier.idle();
    expect(inner.events).toHaveLength(1);
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('a pager that throws synchronously does not break notify', async () => {
    const pager: Pager = {
      send: () => {
        throw new Error('boom');
      },
    };
    const { inner, notifier, error } = setup(pager);
    await expect(notifier.notify(opened(makeIncident({ severity: 1 })))).resolves.toBeUndefined();
    expect(inner.events).toHaveLength(1);
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('sends SEV-4 openings to the digest', async () => {
    const pager = new RecordingPager();
    const { notifier, digest } = setup(pager);
    const event = opened(makeIncident({ severity: 4 }));
    await notifier.notify(event);
    expect(digest).toEqual([{ event, timezone: 'Europe/Dublin' }]);
    expect(pager.pages).toEqual([]);
  });

  it('does not page models without a route, nor channel messages', async () => {
    const pager = new RecordingPager();
    const { inner, notifier } = setup(pager);
    await notifier.notify(opened(makeIncident({ model: 'ranker', severity: 1 })));
    await notifier.notify({ type: 'channel.message', channel: '#ml', text: 'drill on Friday' });
    await notifier.idle();
    expect(inner.events).toHaveLength(2);
    expect(pager.pages).toEqual([]);
  });

  it('delivers an escalation: answers once both the inner notifier and the page have it', async () => {
    let release: () => void = () => undefined;
    const pages: Page[] = [];
    // The resolve that goes before an escalation's trigger is answered at once; the trigger waits to be released.
    const pager: Pager = {
      send: (page) =>
        page.action === 'resolve'
          ? Promise.resolve()
          : new Promise<void>((resolve) => (release = () => resolve(void pages.push(page)))),
    };
    const { inner, notifier } = setup(pager);
    let answer: Arrival | undefined;
    const delivering = notifier.deliver(escalation(makeIncident({ id: 'INC-7' }))).then((a) => (answer = a));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answer).toBeUndefined(); // the page is still on its way
    release();
    await delivering;
    expect(answer).toEqual({ arrived: true, paged: true });
    expect(inner.ofType('escalation')).toHaveLength(1);
    expect(pages).toMatchObject([{ action: 'trigger', dedupKey: 'rollbot-INC-7-triage' }]);
  });

  it('answers false for an escalation whose page failed, or that the inner notifier gave up on', async () => {
    const failing = setup(new RecordingPager(true));
    // Each says which half arrived, so that its record says who was reached.
    await expect(failing.notifier.deliver(escalation(makeIncident()))).resolves.toEqual({
      arrived: false,
      reached: 'slack',
    });
    const { inner, notifier } = setup(new RecordingPager());
    inner.arrival = async () => false;
    await expect(notifier.deliver(escalation(makeIncident()))).resolves.toEqual({
      arrived: false,
      reached: 'pager',
      paged: true,
    });
  });

  it('joins a second delivery of the same escalation while the first is on its way: one page', async () => {
    let release: () => void = () => undefined;
    const pages: Page[] = [];
    // The resolve that goes before an escalation's trigger is answered at once; the trigger waits to be released.
    const pager: Pager = {
      send: (page) =>
        page.action === 'resolve'
          ? Promise.resolve()
          : new Promise<void>((resolve) => (release = () => resolve(void pages.push(page)))),
    };
    const { inner, notifier } = setup(pager);
    const event = escalation(makeIncident({ id: 'INC-8' }));
    const first = notifier.deliver(event);
    const second = notifier.deliver({ ...event, text: 'the deadline came round again' });
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await expect(Promise.all([first, second])).resolves.toEqual([
      { arrived: true, paged: true },
      { arrived: true, paged: true },
    ]);
    expect(pages).toHaveLength(1);
    expect(inner.ofType('escalation')).toHaveLength(1);
    // Once it has arrived, a later escalation of the same stage is sent again.
    const third = notifier.deliver(event);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await expect(third).resolves.toEqual({ arrived: true, paged: true });
    expect(pages).toHaveLength(2);
  });

  it("does not join a rollback's unknown outcome into its stage's missed target, on their way together", async () => {
    // A restart mid-rollback, after its 5 minutes: the overdue stage deadline and the recovery both escalate.
    const pages: Page[] = [];
    const releases: (() => void)[] = [];
    const pager: Pager = {
      send: (page) => new Promise<void>((resolve) => releases.push(() => resolve(void pages.push(page)))),
    };
    const { inner, notifier } = setup(pager);
    const incident = makeIncident({ id: 'INC-8', severity: 1 });
    const missed = notifier.deliver({
      ...escalation(incident),
      stage: 'rollback',
      text: 'rollback target missed',
    });
    const unknown = notifier.deliver({
      ...escalation(incident),
      stage: 'rollback',
      about: 'outcome-unknown',
      text: 'outcome unknown after a restart; check the serving layer by hand before running it again',
    });
    // Each page answered in turn: a resolve, then a trigger, per escalation.
    for (let turn = 0; turn < 10; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    await expect(Promise.all([missed, unknown])).resolves.toEqual([
      { arrived: true, paged: true },
      { arrived: true, paged: true },
    ]);
    expect(inner.ofType('escalation').map((event) => event.text)).toEqual([
      'rollback target missed',
      'outcome unknown after a restart; check the serving layer by hand before running it again',
    ]);
  });

  it("sends again only the half of an escalation given up on, and pages a later attempt's escalation anew", async () => {
    const pager = new RecordingPager();
    const { inner, notifier } = setup(pager);
    const incident = executingRollback(makeIncident({ id: 'INC-11', severity: 1 }), 1);
    const { rollback } = incident;
    if (!rollback) throw new Error('expected a rollback');
    const unknown = (attempt: number): EscalationEvent => ({
      ...escalation({ ...incident, rollback: { ...rollback, attempt } }),
      stage: 'rollback',
      about: 'outcome-unknown',
      text: `outcome unknown (attempt ${attempt})`,
    });
    const triggers = () => pager.pages.filter((page) => page.action === 'trigger').length;
    // Slack gives up on it; the page rings. Its sender sends it again: to Slack only.
    inner.arrival = async () => false;
    await expect(notifier.deliver(unknown(1))).resolves.toEqual({
      arrived: false,
      reached: 'pager',
      paged: true,
    });
    inner.arrival = async () => true;
    await expect(notifier.deliver(unknown(1))).resolves.toEqual({ arrived: true, paged: true });
    expect(inner.ofType('escalation')).toHaveLength(2);
    expect(triggers()).toBe(1);
    // The next attempt's unknown outcome is another escalation: it pages.
    await expect(notifier.deliver(unknown(2))).resolves.toEqual({ arrived: true, paged: true });
    expect(triggers()).toBe(2);
  });

  it("delivers a triage's decision request: answers with what Slack made of it, not waiting for a page", async () => {
    const pager: Pager = { send: () => new Promise<void>(() => undefined) };
    const { inner, notifier } = setup(pager);
    const incident = makeIncident({ id: 'INC-9', severity: 1 });
    // Acknowledged: its decision request also acknowledges the page, which the provider never answers.
    const acked = { ...incident, acknowledged: { by: 'U0ANA', at: incident.openedAt } };
    const request = decisionRequest(acked, 1);
    await expect(notifier.deliver(request)).resolves.toEqual({ arrived: true });
    inner.arrival = async () => false;
    await expect(notifier.deliver(decisionRequest(acked, 2))).resolves.toEqual({ arrived: false });
    expect(inner.ofType('decision.requested')).toMatchObject([{ triageAt: 1 }, { triageAt: 2 }]);
  });

  it("joins deliveries of the same triage's decision request, not those of another triage", async () => {
    const { inner, notifier } = setup(new RecordingPager());
    const arrivals: ((delivered: boolean) => void)[] = [];
    inner.arrival = () => new Promise<boolean>((resolve) => arrivals.push(resolve));
    const incident = makeIncident({ id: 'INC-10' });
    const first = notifier.deliver(decisionRequest(incident, 1));
    const again = notifier.deliver({ ...decisionRequest(incident, 1), text: 'the stand-in came round' });
    const other = notifier.deliver(decisionRequest(incident, 2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(inner.ofType('decision.requested')).toMatchObject([{ triageAt: 1 }, { triageAt: 2 }]);
    arrivals.forEach((arrive, index) => arrive(index === 0));
    await expect(Promise.all([first, again, other])).resolves.toEqual([
      { arrived: true },
      { arrived: true },
      { arrived: false },
    ]);
  });

  it('passes on a rejection of the inner notifier, after paging', async () => {
    const pager = new RecordingPager();
    const logger = createLogger({ level: 'silent' });
    const notifier = createPagingNotifier({
      inner: {
        notify: () => Promise.reject(new Error('slack down')),
        deliver: async () => ({ arrived: false }),
      },
      pagerFor: () => ({ pager, hours: { timezone: 'UTC' } }),
      clock: new TestClock(),
      logger,
    });
    await expect(notifier.notify(opened(makeIncident({ severity: 1 })))).rejects.toThrow('slack down');
    await notifier.idle();
    expect(pager.pages).toHaveLength(1);
  });
});
