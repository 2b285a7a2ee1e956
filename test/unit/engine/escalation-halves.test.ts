/**
 * An escalation goes to Slack and to the pager. When only one half arrives (Slack gives up while the page rang,
 * or the page fails while Slack was told), the timeline (the compliance record, the retrospective's source) must
 * say who was reached and what is left to do by hand: not "could not be delivered: tell them by hand" when the
 * on-call's phone rang, nor claim a page for a model that pages nobody.
 */
import { describe, expect, it } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import { decide } from '../../../src/core/incident.js';
import type { EngineDeps } from '../../../src/engine/context.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createPagingNotifier } from '../../../src/paging/notifier.js';
import type { Page, Pager } from '../../../src/paging/types.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps } from '../../helpers/engine.js';

const MINUTE = 60_000;

/** INC-1's triage escalation sent through the paging notifier, with `slackArrives` and the pager's `pages`. */
async function triageBreach(options: { slackArrives: boolean; pageSent: boolean; pages: boolean }) {
  const deps = makeDeps();
  const triggers: Page[] = [];
  const pager: Pager = {
    send: async (page) => {
      if (page.action === 'trigger' && page.dedupKey === 'rollbot-INC-1-triage' && !options.pageSent)
        throw new RollbotError('BAD_REQUEST', 'PagerDuty 400: invalid routing key');
      if (page.action === 'trigger') triggers.push(page);
    },
  };
  const engine: EngineDeps = {
    ...deps,
    notifier: createPagingNotifier({
      inner: deps.notifier,
      pagerFor: () => (options.pages ? { pager, hours: { timezone: 'UTC' } } : undefined),
      clock: deps.clock,
      logger: createLogger({ level: 'silent' }),
    }),
  };
  await ingestAlerts(engine, [firing('fraud-scorer', deps.clock.now())]);
  expect(await pollDeadlines(engine)).toBe(1);
  deps.notifier.arrival = async (event) => event.type !== 'escalation' || options.slackArrives;
  deps.clock.advance(10 * MINUTE);
  expect(await pollDeadlines(engine)).toBe(1);
  const [breach, ...more] = (await deps.store.list('INC-1')).filter(
    (entry) => entry.type === 'stage.breached',
  );
  expect(more).toEqual([]);
  return { breach, triggers: triggers.filter((page) => page.dedupKey === 'rollbot-INC-1-triage') };
}

describe('an escalation only one half of which arrived', () => {
  it('says the on-call was paged when Slack gave up on it but the page went out', async () => {
    const { breach, triggers } = await triageBreach({ slackArrives: false, pageSent: true, pages: true });
    expect(triggers).toHaveLength(1);
    expect(breach).toMatchObject({ data: { delivered: false, reached: 'pager' } });
    expect(breach?.text).toContain(
      'the on-call was paged, but the escalation to S0PLATFORM could not be posted',
    );
    expect(breach?.text).not.toContain('could not be delivered');
  });

  it('says Slack was told when the page could not be sent', async () => {
    const { breach, triggers } = await triageBreach({ slackArrives: true, pageSent: false, pages: true });
    expect(triggers).toEqual([]);
    expect(breach).toMatchObject({ data: { delivered: false, reached: 'slack' } });
    expect(breach?.text).toContain(
      'the escalation to S0PLATFORM was posted in Slack, but the page could not be sent',
    );
    expect(breach?.text).toContain('page the on-call by hand');
  });

  it('claims no page for a model that pages nobody, when Slack gave up on it', async () => {
    const { breach } = await triageBreach({ slackArrives: false, pageSent: true, pages: false });
    expect(breach?.data?.reached).toBeUndefined();
    expect(breach?.text).toContain('the escalation to S0PLATFORM could not be delivered');
  });
});

describe('a stage that ended after an earlier round of its escalation paged the on-call', () => {
  it('says on its record that the on-call was paged, not that nobody was', async () => {
    const deps = makeDeps();
    deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
    const triggers: Page[] = [];
    const pager: Pager = { send: async (page) => void (page.action === 'trigger' && triggers.push(page)) };
    const engine: EngineDeps = {
      ...deps,
      notifier: createPagingNotifier({
        inner: deps.notifier,
        pagerFor: () => ({ pager, hours: { timezone: 'UTC' } }),
        clock: deps.clock,
        logger: createLogger({ level: 'silent' }),
      }),
    };
    await ingestAlerts(engine, [firing('fraud-scorer', deps.clock.now())]);
    expect(await pollDeadlines(engine)).toBe(1);
    // Slack retries the escalation past arrivalWaitMs, then gives up on it; the page rang at once.
    let giveUp = (): void => undefined;
    deps.notifier.arrival = async (event) =>
      event.type !== 'escalation' || new Promise<boolean>((resolve) => (giveUp = () => resolve(false)));
    deps.clock.advance(10 * MINUTE);
    expect(await pollDeadlines(engine)).toBe(0);
    giveUp();
    await new Promise((resolve) => setImmediate(resolve));
    expect(triggers.filter((page) => page.dedupKey === 'rollbot-INC-1-triage')).toHaveLength(1);

    // Someone decides before the deadline comes round again: the stage has ended by then.
    await mutateIncident(deps.store, 'INC-1', (current) =>
      decide(current, {
        kind: 'not-rollback',
        by: 'U0ANA',
        at: deps.clock.now(),
        reason: 'noise',
        trigger: 'slack',
      }),
    );
    deps.clock.advance(DEADLINE_LEASE_MS);
    expect(await pollDeadlines(engine)).toBe(1);
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toMatchObject([{ data: { stage: 'triage', ended: true, reached: 'pager' } }]);
    expect(breaches[0]?.text).not.toContain('nobody was paged');
    expect(breaches[0]?.text).toContain('the on-call had been paged');
  });
});
