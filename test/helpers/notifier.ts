import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import type {
  EscalationEvent,
  NotifierEvent,
  TriageDecisionRequest,
} from '../../src/engine/notifier-port.js';
import {
  createSlackClients,
  createSlackNotifier,
  type SlackNotifierOptions,
} from '../../src/slack/notifier/notifier.js';
import type { SetTimer } from '../../src/slack/notifier/pacing.js';
import type { SlackRenderer } from '../../src/slack/notifier/render.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { T0 } from './incidents.js';
import { spyLogger } from './spy-logger.js';

/** A Slack notifier on virtual time and the memory store, its Web API calls answered by nock. */
export const API = 'https://slack.test';
export const TS = '1700000000.000100';

/** Virtual time, as in queue.test.ts: pacing and retries are asserted on exact instants, without waiting. */
export function virtualTime() {
  let now = T0;
  let seq = 0;
  let timers: { at: number; seq: number; fn: () => void }[] = [];
  const setTimer: SetTimer = (fn, ms) => {
    const timer = { at: now + ms, seq: seq++, fn };
    timers.push(timer);
    return () => {
      timers = timers.filter((t) => t !== timer);
    };
  };
  /** Lets in-flight Slack calls finish, then fires the next timer (moving the clock), until none is left. */
  async function run(busy: () => boolean): Promise<void> {
    for (let step = 0; step < 10_000; step++) {
      do await new Promise((resolve) => setImmediate(resolve));
      while (busy());
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers.shift();
      if (!next) return;
      now = Math.max(now, next.at);
      next.fn();
    }
    throw new Error('virtual time did not settle');
  }
  return { clock: { now: () => now }, setTimer, run, elapsed: () => now - T0 };
}

/** What the fake renderer puts in a message: the event's text, or its type. */
export const say = (event: NotifierEvent) => ('text' in event ? event.text : event.type);

export const renderer: SlackRenderer = {
  incidentMessage: (event) => ({
    text: `${event.incident.id}: ${say(event)}`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: say(event) } }],
  }),
  threadReply: (event) => (event.type === 'incident.updated' ? { text: event.text } : undefined),
};

export const opened = (incident: Incident, channel = 'C0FRAUD01'): NotifierEvent => ({
  type: 'incident.opened',
  incident,
  channel,
});
export const updated = (incident: Incident, text: string, channel = 'C0FRAUD01'): NotifierEvent => ({
  type: 'incident.updated',
  incident,
  channel,
  text,
});
/** An event without a thread reply (the fake renderer replies only to incident.updated). */
export const escalated = (incident: Incident, text: string): EscalationEvent => ({
  type: 'escalation',
  incident,
  channel: 'C0FRAUD01',
  stage: 'triage',
  mention: [],
  text,
});
/** The decision request of the triage measured at `triageAt`. */
export const asked = (incident: Incident, triageAt: number, text: string): TriageDecisionRequest => ({
  type: 'decision.requested',
  incident,
  channel: 'C0FRAUD01',
  text,
  approvers: [],
  policy: 'approve',
  triageAt,
});

/** A Slack body, or [status, body, headers]. */
export type SlackAnswer = object | [number, object | string, Record<string, string>?];

export interface Call {
  method: string;
  at: number;
  form: Record<string, string>;
}

export function setupNotifier(overrides: Partial<SlackNotifierOptions> = {}) {
  const time = virtualTime();
  const calls: Call[] = [];
  const failures: [string, string][] = [];
  const logger = spyLogger();
  const store = createMemoryStore({ clock: time.clock });
  const { notifier: client } = createSlackClients({ token: 'xoxb-test', apiUrl: `${API}/api/` });
  const make = (options: Partial<SlackNotifierOptions> = {}) =>
    createSlackNotifier({
      client,
      store,
      renderer,
      clock: time.clock,
      logger,
      setTimer: time.setTimer,
      onDeliveryFailed: (kind, reason) => failures.push([kind, reason]),
      ...overrides,
      ...options,
    });
  const notifier = make();
  let posted = 0;
  /** What a call records: its form fields (web-api form-encodes bodies, objects as JSON strings). */
  const record = (method: string, body: unknown): Record<string, string> => {
    const form = Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : ''));
    calls.push({ method, at: time.elapsed(), form });
    return form;
  };
  /**
   * Answers `times` calls of `method` with `answer` (a Slack body, [status, body, headers], or either made from
   * the call's form), recording each call's form fields and virtual time. Without one: a post's `ok`, with a
   * fresh ts.
   */
  function slack(
    method: string,
    answer?: SlackAnswer | ((form: Record<string, string>) => SlackAnswer),
    times = 1,
  ) {
    return nock(API)
      .post(`/api/${method}`)
      .times(times)
      .reply((_uri, body) => {
        const form = record(method, body);
        const given = typeof answer === 'function' ? answer(form) : answer;
        if (Array.isArray(given)) return given;
        if (given) return [200, given];
        posted += 1;
        return [
          200,
          { ok: true, channel: form.channel, ts: `1700000000.${String(posted * 100).padStart(6, '0')}` },
        ];
      });
  }
  /**
   * A call of `method` that reaches Slack and is done there, but whose answer never comes back (the connection
   * drops): recorded like any call, answered with a network error.
   */
  function answerLost(method: string) {
    return nock(API)
      .post(`/api/${method}`, (body: unknown) => {
        record(method, new URLSearchParams(body as Record<string, string>).toString());
        return true;
      })
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  }
  const run = () => time.run(() => notifier.stats().inFlight > 0);
  return { notifier, make, store, calls, failures, logger, slack, answerLost, run, time };
}

/**
 * For a suite whose Slack calls nock answers: no real network, and every answer a test set up must have been
 * asked for by its end (an unused one is a call the code under test did not make).
 */
export function slackAnsweredByNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
  afterAll(() => nock.enableNetConnect());
}
