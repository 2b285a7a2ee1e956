/**
 * A SEV-3 pages only within business hours: its target missed at night is escalated in Slack, and pages the on-call
 * when business hours begin if the incident is still unresolved then — once, whichever replicas poll — and not at
 * all if it was resolved meanwhile.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUSINESS_HOURS_PAGE, schedulePageAtBusinessHours } from '../../src/engine/business-hours-page.js';
import { acknowledge } from '../../src/engine/decisions.js';
import { decide } from '../../src/core/incident.js';
import { escalateIfBreached } from '../../src/engine/escalation.js';
import { mutateIncident } from '../../src/engine/mutate.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import { resolve } from '../../src/engine/resolve.js';
import { createLogger } from '../../src/observability/logger.js';
import { createPagingNotifier } from '../../src/paging/notifier.js';
import { createPagerDuty } from '../../src/paging/pagerduty.js';
import type { Page, Pager } from '../../src/paging/types.js';
import type { Store } from '../../src/engine/ports.js';
import { makeDeps, makeRunbook, TestClock } from '../helpers/engine.js';
import { makeIncident } from '../helpers/incidents.js';
import { replicaBackends, useRedisStores } from '../helpers/replicas.js';

const MINUTE = 60_000;
/** Saturday 02:00 UTC; the runbook's business hours are the default, 09:00 to 18:00 UTC on weekdays. */
const SATURDAY_2AM = Date.parse('2026-11-21T02:00:00Z');
const MONDAY_9AM = Date.parse('2026-11-23T09:00:00Z');

class RecordingPager implements Pager {
  readonly pages: string[] = [];
  async send(page: Page): Promise<void> {
    this.pages.push(`${page.action} ${page.dedupKey}`);
  }
}

/**
 * A paging provider as it deduplicates: a trigger on a key whose alert is open is added to that alert and rings
 * nobody; one on a key with no open alert (never triggered, or resolved) opens an alert, which rings.
 */
class DeduplicatingPager implements Pager {
  readonly open = new Set<string>();
  readonly rang: string[] = [];
  readonly pages: string[] = [];
  async send(page: Page): Promise<void> {
    this.pages.push(`${page.action} ${page.dedupKey}`);
    if (page.action === 'resolve') this.open.delete(page.dedupKey);
    if (page.action !== 'trigger' || this.open.has(page.dedupKey)) return;
    this.open.add(page.dedupKey);
    this.rang.push(page.dedupKey);
  }
}

/** `store`, but for a replica killed after its business-hours page was sent and before its mark was written. */
function killedBeforeTheMark(store: Store): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'append') {
        return (entry: Parameters<Store['append']>[0]) =>
          entry.type === 'stage.paged-in-business-hours'
            ? Promise.reject(new Error('SIGKILL'))
            : target.append(entry);
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const redisStore = useRedisStores();

const PD = 'https://events.pagerduty.com';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe.each(replicaBackends(redisStore))('a SEV-3 target missed at night, on %s', (_name, backend) => {
  /** Two replicas of one bot: their own paging notifier and pager (the same provider), one store, one clock. */
  function twoReplicas(pager: Pager = new RecordingPager()) {
    const clock = new TestClock(SATURDAY_2AM);
    const storeOf = backend(clock);
    const runbook = makeRunbook(
      'fraud-scorer',
      'paging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY }',
    );
    const replicas = [0, 1].map(() => {
      const deps = makeDeps({ clock, store: storeOf(), runbooks: [runbook] });
      const paging = createPagingNotifier({
        inner: deps.notifier,
        pagerFor: () => ({ pager, hours: { timezone: 'UTC' } }),
        clock,
        logger: createLogger({ level: 'silent' }),
        pageLater: (event, dueAt) => schedulePageAtBusinessHours(deps, event, dueAt),
      });
      return { deps, engine: { ...deps, notifier: paging }, paging };
    });
    return { clock, pager, replicas };
  }

  async function missedAtNight(pager?: Pager) {
    const bot = twoReplicas(pager);
    const [first] = bot.replicas;
    const incident = makeIncident({ id: 'INC-1', severity: 3, at: bot.clock.now() });
    await first!.deps.store.createIfNoneOpen(incident);
    bot.clock.advance(11 * MINUTE);
    await escalateIfBreached(first!.engine, 'INC-1', 'triage');
    await first!.paging.idle();
    return bot;
  }

  function pagesOf(bot: { pager: Pager }): string[] {
    return (bot.pager as RecordingPager).pages;
  }

  async function pollAllAt(bot: Awaited<ReturnType<typeof missedAtNight>>, at: number) {
    bot.clock.set(at);
    await Promise.all(bot.replicas.map(({ engine }) => pollDeadlines(engine)));
    await Promise.all(bot.replicas.map(({ paging }) => paging.idle()));
  }

  it('pages nobody at night, then pages once when business hours begin, the incident still unresolved', async () => {
    const bot = await missedAtNight();
    const store = bot.replicas[0]!.deps.store;
    expect(pagesOf(bot)).toEqual([]);
    expect(bot.replicas[0]!.deps.notifier.ofType('escalation')).toHaveLength(1);
    expect((await store.pending()).filter((one) => one.kind === BUSINESS_HOURS_PAGE)).toEqual([
      expect.objectContaining({ dueAt: MONDAY_9AM, payload: { incidentId: 'INC-1', stage: 'triage' } }),
    ]);

    await pollAllAt(bot, MONDAY_9AM - MINUTE);
    expect(pagesOf(bot)).toEqual([]);

    await pollAllAt(bot, MONDAY_9AM);
    await pollAllAt(bot, MONDAY_9AM + 2 * MINUTE);
    expect(pagesOf(bot)).toEqual(['trigger rollbot-INC-1-triage']);
    const morning = bot.replicas.flatMap(({ deps }) => deps.notifier.ofType('escalation')).slice(1);
    expect(morning).toEqual([
      expect.objectContaining({
        stage: 'triage',
        mention: ['S0PLATFORM'],
        text: expect.stringContaining('the incident is still unresolved now that business hours have begun'),
      }),
    ]);
    expect((await store.list('INC-1')).map((entry) => entry.type)).toContain('stage.paged-in-business-hours');
    expect((await store.pending()).filter((one) => one.kind === BUSINESS_HOURS_PAGE)).toEqual([]);
  });

  it('does not page when business hours begin if the incident was resolved meanwhile', async () => {
    const bot = await missedAtNight();
    const [first] = bot.replicas;
    bot.clock.advance(30 * MINUTE);
    await resolve(first!.engine, 'INC-1', { by: 'U0ANA', reason: 'feature store caught up' });
    await first!.paging.idle();

    await pollAllAt(bot, MONDAY_9AM);
    expect(pagesOf(bot).filter((page) => page.startsWith('trigger'))).toEqual([]);
    const escalations = bot.replicas.flatMap(({ deps }) => deps.notifier.ofType('escalation'));
    expect(escalations).toHaveLength(1);
  });

  it('does not page when business hours begin if someone acknowledged the incident after its target was missed', async () => {
    // The real PagerDuty adapter: every event it is sent is kept, and none may be a trigger.
    const sent: { event_action: string; dedup_key: string }[] = [];
    nock(PD)
      .post('/v2/enqueue', (body: { event_action: string; dedup_key: string }) => (sent.push(body), true))
      .times(10)
      .reply(202, { status: 'success' });
    const bot = await missedAtNight(createPagerDuty({ routingKey: 'pd-routing-key' }));
    const [first] = bot.replicas;
    bot.clock.advance(20 * MINUTE);
    await acknowledge(first!.engine, 'INC-1', 'U0ANA');
    await first!.paging.idle();

    await pollAllAt(bot, MONDAY_9AM);
    await pollAllAt(bot, MONDAY_9AM + 2 * MINUTE);
    expect(sent.filter((event) => event.event_action === 'trigger')).toEqual([]);
    // Slack heard of the miss at night, and of who is on it: nothing more in the morning, nor a page on the record.
    const escalations = bot.replicas.flatMap(({ deps }) => deps.notifier.ofType('escalation'));
    expect(escalations).toHaveLength(1);
    const store = first!.deps.store;
    expect((await store.list('INC-1')).map((entry) => entry.type)).not.toContain(
      'stage.paged-in-business-hours',
    );
    expect((await store.pending()).filter((one) => one.kind === BUSINESS_HOURS_PAGE)).toEqual([]);
  });

  it('still pages when business hours begin if the incident was acknowledged before its target was missed', async () => {
    const bot = twoReplicas();
    const [first] = bot.replicas;
    await first!.deps.store.createIfNoneOpen(makeIncident({ id: 'INC-1', severity: 3, at: bot.clock.now() }));
    await acknowledge(first!.engine, 'INC-1', 'U0ANA');
    bot.clock.advance(11 * MINUTE);
    await escalateIfBreached(first!.engine, 'INC-1', 'triage');
    await first!.paging.idle();

    await pollAllAt(bot, MONDAY_9AM);
    expect(pagesOf(bot).filter((page) => page.startsWith('trigger'))).toEqual([
      'trigger rollbot-INC-1-triage',
    ]);
  });

  it('a page sent again by another replica, the first killed before its mark, lands on the alert the first opened', async () => {
    const pager = new DeduplicatingPager();
    const bot = await missedAtNight(pager);
    const [first, second] = bot.replicas;
    bot.clock.set(MONDAY_9AM);
    await pollDeadlines({ ...first!.engine, store: killedBeforeTheMark(first!.deps.store) });
    await first!.paging.idle();
    expect(pager.rang).toEqual(['rollbot-INC-1-triage']);

    // The dead replica's claim on the deadline lapses; the other replica finds no mark and sends the page again.
    bot.clock.set(MONDAY_9AM + 5 * MINUTE);
    await pollDeadlines(second!.engine);
    await second!.paging.idle();
    expect(pager.pages.filter((page) => page.startsWith('trigger'))).toEqual([
      'trigger rollbot-INC-1-triage',
      'trigger rollbot-INC-1-triage',
    ]);
    expect(pager.rang).toEqual(['rollbot-INC-1-triage']);
    expect([...pager.open]).toEqual(['rollbot-INC-1-triage']);
    const store = second!.deps.store;
    expect((await store.list('INC-1')).map((entry) => entry.type)).toContain('stage.paged-in-business-hours');
  });

  it('does not page about a missed triage target when business hours begin if triage was decided meanwhile', async () => {
    const bot = await missedAtNight();
    const [first] = bot.replicas;
    bot.clock.advance(40 * MINUTE);
    // Someone approved the rollback at night, without pressing Acknowledge: the rollback is under way.
    const at = bot.clock.now();
    await mutateIncident(first!.deps.store, 'INC-1', (current) =>
      decide(current, { kind: 'rollback', by: 'U0ANA', at, reason: 'bad model', trigger: 'slack' }),
    );

    await pollAllAt(bot, MONDAY_9AM);
    expect(pagesOf(bot).filter((page) => page.startsWith('trigger'))).toEqual([]);
    const escalations = bot.replicas.flatMap(({ deps }) => deps.notifier.ofType('escalation'));
    expect(escalations).toHaveLength(1);
    expect((await first!.deps.store.pending()).filter((one) => one.kind === BUSINESS_HOURS_PAGE)).toEqual([]);
  });
});
