import { Writable } from 'node:stream';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import type { NotifierEvent } from '../../../src/engine/notifier-port.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createPagingNotifier, type SetTimer } from '../../../src/paging/notifier.js';
import { createOpsgenie } from '../../../src/paging/opsgenie.js';
import { RecordingNotifier, TestClock } from '../../helpers/engine.js';
import { makeIncident } from '../../helpers/incidents.js';

const HOST = 'https://api.opsgenie.com';

const opened = (incident: Incident): NotifierEvent => ({ type: 'incident.opened', incident, channel: '#ml' });
const resolved = (incident: Incident): NotifierEvent => ({
  type: 'incident.updated',
  incident: { ...incident, phase: 'resolved' },
  channel: '#ml',
  text: 'resolved',
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('paging notifier at shutdown, with Opsgenie', () => {
  it('logs a page Opsgenie accepted but had not confirmed as unconfirmed (warn, request id), not abandoned', async () => {
    // INC-1's create is accepted (202) and its request status not yet processed (404) when the bot stops; INC-2's
    // create meets a 503 and is being retried. Every wait (a status poll's, a retry's) lasts until the test ends it.
    nock(HOST)
      .post('/v2/alerts', (body: { alias?: string }) => body.alias === 'rollbot-INC-1')
      .reply(202, {
        result: 'Request will be processed',
        requestId: 'req-inc-1',
      });
    nock(HOST)
      .post('/v2/alerts', (body: { alias?: string }) => body.alias === 'rollbot-INC-2')
      .reply(503, 'unavailable');
    nock(HOST)
      .get('/v2/alerts/requests/req-inc-1')
      .reply(404, { message: 'Request not found. It might not be processed, yet.' })
      .persist();
    const waits: (() => void)[] = [];
    const pager = createOpsgenie({
      apiKey: 'k3y',
      sleep: () => new Promise<void>((resolve) => waits.push(resolve)),
    });
    let passDeadline = (): void => undefined;
    const setTimer: SetTimer = (fn) => {
      passDeadline = fn;
      return () => undefined;
    };
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
      logger: createLogger({ level: 'warn', destination }),
      setTimer,
    });
    const first = makeIncident({ id: 'INC-1', severity: 1 });
    await notifier.notify(opened(first));
    await notifier.notify(resolved(first));
    await notifier.notify(opened(makeIncident({ id: 'INC-2', severity: 1 })));
    // INC-1's create waits for its first status poll, INC-2's for its next attempt.
    await vi.waitFor(() => expect(waits).toHaveLength(2));

    const stopping = notifier.idle();
    passDeadline();
    await stopping;
    for (const wait of waits) wait();
    await new Promise((resolve) => setImmediate(resolve));

    const byPage = (incidentId: string, action: string) =>
      lines.filter((line) => line['incidentId'] === incidentId && line['action'] === action);
    expect(byPage('INC-1', 'trigger')).toEqual([
      expect.objectContaining({
        level: 40,
        requestId: 'req-inc-1',
        msg: expect.stringMatching(
          /^paging unconfirmed at shutdown: the trigger page for INC-1 was accepted by the paging provider \(request req-inc-1\) but not confirmed processed within 5000 ms; /,
        ),
      }),
    ]);
    expect(JSON.stringify(byPage('INC-1', 'trigger'))).not.toContain('abandoned');
    // Waiting for INC-1's create to be processed, its close was never sent; INC-2's create never accepted.
    expect(byPage('INC-1', 'resolve')).toEqual([
      expect.objectContaining({
        level: 50,
        msg: expect.stringMatching(/^paging abandoned at shutdown: the resolve page for INC-1/),
      }),
    ]);
    expect(byPage('INC-2', 'trigger')).toEqual([
      expect.objectContaining({
        level: 50,
        msg: expect.stringMatching(
          /^paging abandoned at shutdown: the trigger page for INC-2.*page the on-call by hand$/,
        ),
      }),
    ]);
    expect(lines).toHaveLength(3);
  });
});
