/**
 * An escalation still on its way after `arrivalWaitMs` fails its deadline, which comes round again after its
 * lease. One that arrives in between (Slack or the pager back within the minute) must be recorded then: by the
 * time the deadline comes round there is nothing left on its way to join, and sending it again would post it
 * twice and ring the on-call twice (the second trigger resolving the first page as "superseded").
 */
import { describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import { recoverInterruptedRollbacks } from '../../../src/engine/recovery.js';
import { rollback } from '../../../src/engine/rollback.js';
import type { Page, Pager } from '../../../src/paging/types.js';
import { firing } from '../../helpers/alerts.js';
import { pagingThrough } from '../../helpers/paging.js';
import { makeDeps } from '../../helpers/engine.js';
import { permanent } from '../../helpers/fake-serving.js';
import { executingRollback } from '../../helpers/incidents.js';

const MINUTE = 60_000;

/** Which half of the escalation is slow to arrive. */
type SlowHalf = 'Slack' | 'the pager';

/**
 * An engine whose notifier is the paging notifier around a recording one (the Slack half); the half `slow` holds
 * the first escalation of INC-1 until `arrive(outcome)`.
 */
function escalatingWithSlowHalf(slow: SlowHalf) {
  const deps = makeDeps();
  deps.timing = { ...deps.timing, arrivalWaitMs: 5 };
  const slack = deps.notifier;
  const pages: Page[] = [];
  // Only the first delivery is held: once it has arrived or been given up on, the slow half is back.
  let arrive = (_outcome: boolean): void => undefined;
  let holding = true;
  const held = () =>
    holding
      ? new Promise<boolean>((resolve) => {
          arrive = (outcome) => {
            holding = false;
            resolve(outcome);
          };
        })
      : Promise.resolve(true);
  const pager: Pager = {
    send: async (page) => {
      if (slow === 'the pager' && page.action === 'trigger' && page.dedupKey.startsWith('rollbot-INC-1-')) {
        if (!(await held())) throw new Error('PagerDuty kept answering 503');
      }
      pages.push(page);
    },
  };
  const engine = pagingThrough(deps, pager, slack);
  if (slow === 'Slack')
    slack.arrival = (event) => (event.type === 'escalation' ? held() : Promise.resolve(true));
  return {
    engine,
    fake: deps.fake,
    clock: deps.clock,
    arrive: (outcome: boolean) => arrive(outcome),
    slackEscalations: () => slack.delivered.filter((event) => event.type === 'escalation'),
    /** The actions of the pages on the escalation key of INC-1's `stage`. */
    pagesOf: (stage: string) =>
      pages.filter((page) => page.dedupKey === `rollbot-INC-1-${stage}`).map((page) => page.action),
    entries: async (type: string) => (await deps.store.list('INC-1')).filter((entry) => entry.type === type),
  };
}

/** INC-1 open, its triage done. */
async function triageEscalating(slow: SlowHalf) {
  const setup = escalatingWithSlowHalf(slow);
  await ingestAlerts(setup.engine, [firing('fraud-scorer', setup.clock.now())]);
  expect(await pollDeadlines(setup.engine)).toBe(1);
  return { ...setup, breaches: () => setup.entries('stage.breached') };
}

/** Lets what an arrival sets off (its record in the store) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe.each<SlowHalf>(['Slack', 'the pager'])(
  'a triage escalation that %s holds past arrivalWaitMs',
  (slow) => {
    it('is recorded once it arrives, and not sent again when its deadline comes round', async () => {
      const setup = await triageEscalating(slow);
      setup.clock.advance(10 * MINUTE);
      expect(await pollDeadlines(setup.engine)).toBe(0); // still on its way: the deadline comes round again
      expect(await setup.breaches()).toEqual([]);

      setup.arrive(true);
      await settle();
      expect(await setup.breaches()).toMatchObject([{ data: { stage: 'triage', delivered: true } }]);

      setup.clock.advance(DEADLINE_LEASE_MS);
      expect(await pollDeadlines(setup.engine)).toBe(1);
      expect(setup.slackEscalations()).toHaveLength(1);
      expect(setup.pagesOf('triage')).toEqual(['resolve', 'trigger']);
      expect(await setup.breaches()).toHaveLength(1);
      expect(await setup.engine.store.pending()).toEqual([]);
    });

    it('is sent again when its deadline comes round if it was given up on after all: the half that did not arrive', async () => {
      const setup = await triageEscalating(slow);
      setup.clock.advance(10 * MINUTE);
      expect(await pollDeadlines(setup.engine)).toBe(0);

      setup.arrive(false);
      await settle();
      expect(await setup.breaches()).toEqual([]);

      // Sent again, it must not page again if the page went out: its "superseded" resolve would close the page
      // the on-call has acknowledged, and its trigger ring them anew (every ten minutes of a Slack outage).
      setup.clock.advance(DEADLINE_LEASE_MS);
      expect(await pollDeadlines(setup.engine)).toBe(1);
      expect(setup.slackEscalations()).toHaveLength(slow === 'Slack' ? 2 : 1);
      expect(setup.pagesOf('triage')).toEqual(
        slow === 'Slack' ? ['resolve', 'trigger'] : ['resolve', 'resolve', 'trigger'],
      );
      expect(await setup.breaches()).toMatchObject([{ data: { stage: 'triage', delivered: true } }]);
      expect(await setup.engine.store.pending()).toEqual([]);
    });
  },
);

describe.each<SlowHalf>(['Slack', 'the pager'])(
  "an interrupted rollback's outcome-unknown escalation that %s holds past arrivalWaitMs",
  (slow) => {
    it("is recorded once it arrives, and not sent again by the settlement's stand-in", async () => {
      const setup = escalatingWithSlowHalf(slow);
      const { engine } = setup;
      await ingestAlerts(engine, [firing('fraud-scorer', setup.clock.now())]);
      await mutateIncident(engine.store, 'INC-1', (current) => executingRollback(current, setup.clock.now()));
      const escalated = async () =>
        (await setup.entries('rollback.unknown')).filter((entry) => entry.data?.escalated);

      // A restart past the attempt's bound (its 5m target) settles it: the layer does not show the target, so it
      // escalates, which is slow to arrive.
      setup.clock.advance(5 * MINUTE);
      expect(await recoverInterruptedRollbacks(engine)).toBe(1);
      expect(setup.slackEscalations()).toMatchObject([{ about: 'outcome-unknown' }]);
      expect(await escalated()).toEqual([]);

      setup.arrive(true);
      await settle();
      expect(await escalated()).toMatchObject([{ data: { delivered: true } }]);

      // The settlement's stand-in comes due and finds it settled.
      setup.clock.advance(2 * MINUTE);
      await pollDeadlines(engine);
      expect(setup.slackEscalations()).toHaveLength(1);
      expect(setup.pagesOf('rollback')).toEqual(['resolve', 'trigger']);
      expect(await escalated()).toHaveLength(1);
      expect(setup.fake.calls).not.toContain('execute');
    });
  },
);

describe.each<SlowHalf>(['Slack', 'the pager'])(
  "a failed rollback's escalation that %s holds past arrivalWaitMs",
  (slow) => {
    /** INC-1's rollback, run by a person, failed: its escalation is slow to arrive. */
    async function failed() {
      const setup = escalatingWithSlowHalf(slow);
      setup.fake.executeErrors.push(permanent());
      const request = {
        model: 'fraud-scorer',
        reason: 'errors after v42',
        by: 'U0ONCALL',
        trigger: 'slack' as const,
      };
      expect((await rollback(setup.engine, request)).outcome).toBe('failed');
      expect(setup.slackEscalations()).toMatchObject([{ about: 'rollback-failed' }]);
      const escalated = async () =>
        (await setup.entries('rollback.failed')).filter((entry) => entry.data?.escalated);
      expect(await escalated()).toEqual([]);
      return { ...setup, escalated };
    }

    it('is recorded once it arrives, and not sent again by its stand-in', async () => {
      const setup = await failed();
      setup.arrive(true);
      await settle();
      expect(await setup.escalated()).toMatchObject([{ data: { attempt: 1, delivered: true } }]);

      setup.clock.advance(2 * MINUTE);
      await pollDeadlines(setup.engine);
      expect(setup.slackEscalations()).toHaveLength(1);
      expect(setup.pagesOf('rollback')).toEqual(['resolve', 'trigger']);
      expect(await setup.escalated()).toHaveLength(1);
    });

    it('is sent again by its stand-in if it was given up on after all: the half that did not arrive', async () => {
      const setup = await failed();
      setup.arrive(false);
      await settle();
      expect(await setup.escalated()).toEqual([]);

      setup.clock.advance(MINUTE);
      await pollDeadlines(setup.engine);
      expect(setup.slackEscalations()).toHaveLength(slow === 'Slack' ? 2 : 1);
      expect(setup.pagesOf('rollback')).toEqual(
        slow === 'Slack' ? ['resolve', 'trigger'] : ['resolve', 'resolve', 'trigger'],
      );
      expect(await setup.escalated()).toMatchObject([{ data: { attempt: 1, delivered: true } }]);
      expect((await setup.engine.store.pending()).map((deadline) => deadline.kind)).not.toContain(
        'rollback-failed',
      );
    });
  },
);
