import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import type { NotifierEvent } from '../../../src/engine/notifier-port.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createPagingNotifier } from '../../../src/paging/notifier.js';
import { createPagerDuty } from '../../../src/paging/pagerduty.js';
import { RecordingNotifier, TestClock } from '../../helpers/engine.js';
import { makeIncident } from '../../helpers/incidents.js';

const HOST = 'https://events.pagerduty.com';

const opened = (incident: Incident): NotifierEvent => ({ type: 'incident.opened', incident, channel: '#ml' });
const resolved = (incident: Incident): NotifierEvent => ({
  type: 'incident.updated',
  incident: { ...incident, phase: 'resolved' },
  channel: '#ml',
  text: 'resolved',
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('PagerDuty events of one dedup key', () => {
  it('reach PagerDuty in order: a resolve sent while its trigger waits to be retried after a 500 goes after it', async () => {
    const seen: string[] = [];
    const scope = nock(HOST)
      .post('/v2/enqueue')
      .times(3)
      .reply((_uri, body) => {
        const event = body as { event_action: string; dedup_key: string };
        seen.push(`${event.event_action} ${event.dedup_key}`);
        // The first trigger meets a PagerDuty failure; everything after is accepted.
        return seen.length === 1 ? [500, 'internal error'] : [202, { status: 'success' }];
      });
    const retries: (() => void)[] = [];
    const pager = createPagerDuty({
      routingKey: 'r0uting',
      sleep: () => new Promise<void>((resolve) => retries.push(resolve)),
    });
    const notifier = createPagingNotifier({
      inner: new RecordingNotifier(),
      pagerFor: () => ({ pager, hours: { timezone: 'UTC' } }),
      clock: new TestClock(),
      logger: createLogger({ level: 'silent' }),
    });
    const incident = makeIncident({ id: 'INC-1', severity: 1 });
    await notifier.notify(opened(incident));
    await vi.waitFor(() => expect(retries).toHaveLength(1));
    // Resolved by hand while the trigger waits out its backoff.
    await notifier.notify(resolved(incident));
    await new Promise((resolve) => setImmediate(resolve));
    retries[0]?.();
    await notifier.idle();

    expect(seen).toEqual(['trigger rollbot-INC-1', 'trigger rollbot-INC-1', 'resolve rollbot-INC-1']);
    expect(scope.isDone()).toBe(true);
  });

  it('resolve a trigger that landed after another replica resolved its incident, as the incident is over', async () => {
    const seen: string[] = [];
    const scope = nock(HOST)
      .post('/v2/enqueue')
      .times(4)
      .reply((_uri, body) => {
        const event = body as { event_action: string; dedup_key: string };
        seen.push(`${event.event_action} ${event.dedup_key}`);
        return seen.length === 1 ? [500, 'internal error'] : [202, { status: 'success' }];
      });
    const retries: (() => void)[] = [];
    // What the store says: the replica that resolves the incident stores it before it notifies.
    let over = false;
    const replica = () =>
      createPagingNotifier({
        inner: new RecordingNotifier(),
        pagerFor: () => ({
          pager: createPagerDuty({
            routingKey: 'r0uting',
            sleep: () => new Promise<void>((resolve) => retries.push(resolve)),
          }),
          hours: { timezone: 'UTC' },
        }),
        clock: new TestClock(),
        logger: createLogger({ level: 'silent' }),
        isOver: () => Promise.resolve(over),
      });
    const [a, b] = [replica(), replica()];
    const incident = makeIncident({ id: 'INC-1', severity: 1 });
    await a.notify(opened(incident));
    await vi.waitFor(() => expect(retries).toHaveLength(1));
    // Resolved on the other replica (a Slack button behind a load balancer) while A's trigger waits to be retried.
    over = true;
    await b.notify(resolved(incident));
    await b.idle();
    retries[0]?.();
    await vi.waitFor(() => expect(seen).toHaveLength(4));
    await a.idle();

    expect(seen).toEqual([
      'trigger rollbot-INC-1',
      'resolve rollbot-INC-1',
      'trigger rollbot-INC-1',
      'resolve rollbot-INC-1',
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it('leave a trigger that landed alone while its incident is open', async () => {
    const seen: string[] = [];
    nock(HOST)
      .post('/v2/enqueue')
      .times(2)
      .reply((_uri, body) => {
        seen.push((body as { event_action: string }).event_action);
        return [202, { status: 'success' }];
      });
    const isOver = vi.fn(() => Promise.resolve(false));
    const notifier = createPagingNotifier({
      inner: new RecordingNotifier(),
      pagerFor: () => ({ pager: createPagerDuty({ routingKey: 'r0uting' }), hours: { timezone: 'UTC' } }),
      clock: new TestClock(),
      logger: createLogger({ level: 'silent' }),
      isOver,
    });
    await notifier.notify(opened(makeIncident({ id: 'INC-2', severity: 1 })));
    await notifier.idle();
    await vi.waitFor(() => expect(isOver).toHaveBeenCalledWith('INC-2'));
    expect(seen).toEqual(['trigger']);
  });
});
