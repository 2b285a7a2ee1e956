import { describe, expect, it } from 'vitest';
import { deploymentGate, overrideGate } from '../../../src/engine/gate.js';
import { freezeDeployments, liftFreeze } from '../../../src/engine/freeze.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { resolve } from '../../../src/engine/resolve.js';
import { completeRetrospective } from '../../../src/engine/retro.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, snapshotGroups, type TestDeps } from '../../helpers/engine.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Tier 2: no approval needed for each deployment, so that only the reasons under test close the gate. */
const tierTwo = (runbook: Runbook): Runbook => ({ ...runbook, tier: 2 });

/** fraud-scorer lets only U0LEAD act; churn-predictor lists nobody, so anyone may. */
function freezeDeps(): TestDeps {
  return makeDeps({
    runbooks: [
      tierTwo(makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }')),
      { ...tierTwo(makeRunbook('churn-predictor')), channel: 'C0CHURN001' },
    ],
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

function freeze(deps: TestDeps, target: string, until: string, userId = 'U0LEAD', reason = 'holiday') {
  return freezeDeployments(deps, snapshotGroups(deps), target, { userId, until, reason });
}

function lift(deps: TestDeps, target: string, userId = 'U0LEAD') {
  return liftFreeze(deps, snapshotGroups(deps), target, { userId });
}

describe('deploy freeze', () => {
  it('is refused, storing nothing, when `until` passed while it was being authorised', async () => {
    const deps = freezeDeps();
    const until = deps.clock.now() + 1_000;
    const groups = snapshotGroups(deps);
    let asked = 0;
    // Slack's user-group lookups can take seconds: long enough for an `until` a moment ahead to pass.
    const slowGroups: typeof groups = async (userId, candidates) => {
      asked += 1;
      deps.clock.advance(2_000);
      return groups(userId, candidates);
    };
    await expect(
      freezeDeployments(deps, slowGroups, 'fraud-scorer', {
        userId: 'U0LEAD',
        until: iso(until),
        reason: 'x',
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/is not in the future/) });
    expect(asked).toBeGreaterThan(0);
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(true);
  });

  it('closes the gate until `until`, naming who froze it, until when and why: open again at `until`', async () => {
    const deps = freezeDeps();
    const until = deps.clock.now() + 2 * DAY;
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(true);
    await freeze(deps, 'fraud-scorer', iso(until), 'U0LEAD', 'year-end release freeze');

    deps.clock.set(until - 1);
    const closed = await deploymentGate(deps, 'fraud-scorer');
    expect(closed).toMatchObject({ allowed: false, status: 'closed' });
    expect(closed.reasons).toEqual([`deploy freeze by U0LEAD until ${iso(until)}: year-end release freeze`]);
    expect(closed.freezes).toEqual([
      { model: 'fraud-scorer', by: 'U0LEAD', reason: 'year-end release freeze', until, at: until - 2 * DAY },
    ]);
    // Another model is not frozen by it.
    expect((await deploymentGate(deps, 'churn-predictor')).allowed).toBe(true);

    deps.clock.set(until);
    expect(await deploymentGate(deps, 'fraud-scorer')).toEqual({
      model: 'fraud-scorer',
      allowed: true,
      status: 'open',
      reasons: [],
    });
  });

  it('freezes every model with `*`, each gate saying so, until it is lifted', async () => {
    const deps = freezeDeps();
    const until = deps.clock.now() + 10 * DAY;
    const outcome = await freeze(deps, '*', iso(until), 'U0LEAD', 'holidays');
    expect(outcome.models).toEqual(['fraud-scorer', 'churn-predictor']);
    for (const model of ['fraud-scorer', 'churn-predictor']) {
      expect((await deploymentGate(deps, model)).reasons).toEqual([
        `deploy freeze of every model by U0LEAD until ${iso(until)}: holidays`,
      ]);
    }
    await lift(deps, '*');
    expect((await deploymentGate(deps, 'churn-predictor')).allowed).toBe(true);
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(true);
  });

  it('is not waived by an override: lifting it opens the gate', async () => {
    const deps = freezeDeps();
    // A resolved incident's open action item, which an override waives (the freeze it does not).
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    await completeRetrospective(deps, 'INC-1', {
      by: 'U0LEAD',
      rootCause: 'a feature pipeline change',
      actionItemsText: '@ana | add an input-drift check | 2026-12-15',
    });
    await freeze(deps, 'fraud-scorer', iso(deps.clock.now() + DAY));
    const overridden = await overrideGate(deps, 'fraud-scorer', {
      actor: { id: 'U0LEAD', groups: [] },
      reason: 'hotfix cannot wait',
    });
    expect(overridden).toMatchObject({ allowed: false, status: 'closed' });
    expect(overridden.reasons).toEqual([
      expect.stringMatching(/^deploy freeze by U0LEAD until /),
      expect.stringMatching(/^open retrospective action item /),
    ]);
    await lift(deps, 'fraud-scorer');
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(true);
  });

  it("records freeze and lift on the model's latest incident, logs them and tells the runbook's channel", async () => {
    const deps = freezeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    const until = deps.clock.now() + DAY;
    await freeze(deps, 'fraud-scorer', iso(until), 'U0LEAD', 'quarter close');
    await lift(deps, 'fraud-scorer');
    expect((await deps.store.list('INC-1')).slice(-2)).toMatchObject([
      {
        type: 'gate.frozen',
        actor: 'U0LEAD',
        text: `deployments of fraud-scorer frozen by U0LEAD until ${iso(until)}: quarter close`,
      },
      {
        type: 'gate.unfrozen',
        actor: 'U0LEAD',
        text: `deploy freeze of fraud-scorer lifted by U0LEAD (it was until ${iso(until)})`,
      },
    ]);
    expect(deps.notifier.ofType('channel.message').map(({ channel, text }) => ({ channel, text }))).toEqual([
      {
        channel: 'C0TEST0001',
        text: `🧊 deployments of fraud-scorer frozen by U0LEAD until ${iso(until)}: quarter close`,
      },
      {
        channel: 'C0TEST0001',
        text: `🌤 deploy freeze of fraud-scorer lifted by U0LEAD (it was until ${iso(until)})`,
      },
    ]);
  });

  it("tells every runbook's channel of a freeze of every model", async () => {
    const deps = freezeDeps();
    await freeze(deps, '*', iso(deps.clock.now() + DAY));
    expect(deps.notifier.ofType('channel.message').map((event) => event.channel)).toEqual([
      'C0TEST0001',
      'C0CHURN001',
    ]);
  });

  it('refuses a bad `until` or an empty reason, naming the field and the fix, storing nothing', async () => {
    const deps = freezeDeps();
    const now = deps.clock.now();
    const cases = [
      { until: 'next friday', message: /^invalid deploy freeze: until: "next friday" is not an ISO time/ },
      { until: '2026-12-27T09:00', message: /^invalid deploy freeze: until: .* is not an ISO time/ },
      // A day the month does not have: Date.parse would roll it over into the next month, a day the person never wrote.
      {
        until: '2026-11-31T09:00:00Z',
        message:
          /^invalid deploy freeze: until: "2026-11-31T09:00:00Z" is not a date: November 2026 has 30 days$/,
      },
      { until: '2027-02-29T09:00:00+01:00', message: /is not a date: February 2027 has 28 days$/ },
      { until: iso(now - 1), message: /^invalid deploy freeze: until: .* is not in the future/ },
      { until: iso(now), message: /^invalid deploy freeze: until: .* is not in the future/ },
      {
        until: iso(now + 30 * DAY + 1),
        message: /^invalid deploy freeze: until: .* is more than 30d from now/,
      },
    ];
    for (const { until, message } of cases) {
      const refused = await freeze(deps, 'fraud-scorer', until).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(message) });
      expect((refused as { hint: string }).hint).toMatch(/\S/);
    }
    await expect(freeze(deps, 'fraud-scorer', iso(now + DAY), 'U0LEAD', ' ')).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'invalid deploy freeze: reason: say why deployments must wait',
    });
    expect(await freeze(deps, 'fraud-scorer', iso(now + 30 * DAY))).toMatchObject({
      models: ['fraud-scorer'],
    });
    await lift(deps, 'fraud-scorer');
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(true);
    expect(deps.notifier.ofType('channel.message')).toHaveLength(2);
  });

  it("lets only someone the runbook allows freeze or lift, recording the denial; `*` needs every runbook's", async () => {
    const deps = freezeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const until = iso(deps.clock.now() + DAY);
    await expect(freeze(deps, 'fraud-scorer', until, 'U0BO')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'U0BO may not freeze deployments of fraud-scorer: the runbook allows U0LEAD',
    });
    await expect(freeze(deps, '*', until, 'U0BO')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'U0BO may not freeze deployments of every model: the runbook of fraud-scorer allows U0LEAD',
    });
    // Anyone may freeze churn-predictor, whose runbook lists nobody.
    await freeze(deps, 'churn-predictor', until, 'U0BO');
    await freeze(deps, 'fraud-scorer', until, 'U0LEAD');
    await expect(lift(deps, 'fraud-scorer', 'U0BO')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'U0BO may not lift the deployment freeze of fraud-scorer: the runbook allows U0LEAD',
    });
    const denials = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'permission.denied');
    expect(denials.map((entry) => entry.actor)).toEqual(['U0BO', 'U0BO', 'U0BO']);
    expect((await deploymentGate(deps, 'fraud-scorer')).freezes).toMatchObject([{ by: 'U0LEAD' }]);
  });

  it('says what holds a model that is not frozen on its own, and lifts nothing', async () => {
    const deps = freezeDeps();
    await expect(lift(deps, 'fraud-scorer')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'fraud-scorer is not frozen',
    });
    const until = deps.clock.now() + DAY;
    await freeze(deps, '*', iso(until));
    await expect(lift(deps, 'fraud-scorer')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'fraud-scorer is not frozen on its own',
      hint: `the freeze of every model by U0LEAD until ${iso(until)} holds it: lift that one (/rollbot unfreeze --all in Slack, rollbot gate unfreeze --all, or POST /api/gate/*/unfreeze)`,
    });
    deps.clock.set(until);
    await expect(lift(deps, '*')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'no freeze of every model is in force',
    });
  });

  it('lifting a model frozen on its own and by `*` says the freeze of every model still holds it', async () => {
    const deps = freezeDeps();
    const own = deps.clock.now() + DAY;
    const all = deps.clock.now() + 3 * DAY;
    await freeze(deps, 'fraud-scorer', iso(own), 'U0LEAD', 'release train');
    await freeze(deps, '*', iso(all), 'U0LEAD', 'holidays');

    const outcome = await lift(deps, 'fraud-scorer');

    const still = { model: '*', by: 'U0LEAD', reason: 'holidays', until: all };
    expect(outcome.heldStillBy).toMatchObject(still);
    expect(deps.notifier.ofType('channel.message').at(-1)?.text).toBe(
      `🌤 deploy freeze of fraud-scorer lifted by U0LEAD (it was until ${iso(own)}); ` +
        `the deploy freeze of every model by U0LEAD until ${iso(all)} still holds it`,
    );
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(false);
  });

  it('lifting the freeze of every model says which models stay frozen on their own', async () => {
    const deps = freezeDeps();
    const own = deps.clock.now() + 3 * DAY;
    const all = deps.clock.now() + DAY;
    await freeze(deps, 'fraud-scorer', iso(own), 'U0LEAD', 'release train');
    await freeze(deps, '*', iso(all), 'U0LEAD', 'holidays');

    const outcome = await lift(deps, '*');

    // Said to whoever lifted it too (CLI, Slack, API), with who froze each and until when.
    expect(outcome.stillFrozen).toEqual([
      { model: 'fraud-scorer', by: 'U0LEAD', reason: 'release train', until: own, at: deps.clock.now() },
    ]);
    expect(outcome.heldStillBy).toBeUndefined();
    const lifted = deps.notifier.ofType('channel.message').slice(-2);
    expect(lifted.map((message) => message.text)).toEqual([
      `🌤 deploy freeze of every model lifted by U0LEAD (it was until ${iso(all)}); fraud-scorer stays frozen on its own`,
      `🌤 deploy freeze of every model lifted by U0LEAD (it was until ${iso(all)}); fraud-scorer stays frozen on its own`,
    ]);
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(false);
    expect((await deploymentGate(deps, 'churn-predictor')).allowed).toBe(true);
  });

  it('replaces a freeze with a later one, saying what it replaced', async () => {
    const deps = freezeDeps();
    const first = deps.clock.now() + DAY;
    const second = deps.clock.now() + 3 * DAY;
    await freeze(deps, 'fraud-scorer', iso(first), 'U0LEAD', 'release train');
    await freeze(deps, 'fraud-scorer', iso(second), 'U0LEAD', 'release train, extended');
    deps.clock.set(first);
    expect((await deploymentGate(deps, 'fraud-scorer')).reasons).toEqual([
      `deploy freeze by U0LEAD until ${iso(second)}: release train, extended`,
    ]);
    expect(deps.notifier.ofType('channel.message').at(-1)?.text).toBe(
      `🧊 deployments of fraud-scorer frozen by U0LEAD until ${iso(second)}: release train, extended (replacing the freeze by U0LEAD until ${iso(first)})`,
    );
  });

  it('says in the channel and on the latest incident when a freeze ends on its own', async () => {
    const deps = freezeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    const until = deps.clock.now() + DAY;
    await freeze(deps, 'fraud-scorer', iso(until), 'U0LEAD', 'quarter close');

    deps.clock.set(until - 1);
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('channel.message')).toHaveLength(1);

    deps.clock.set(until);
    await pollDeadlines(deps);
    const ended = `deploy freeze of fraud-scorer by U0LEAD ended at ${iso(until)}: quarter close; it no longer closes the deployment gate`;
    expect(deps.notifier.ofType('channel.message').slice(1)).toMatchObject([
      { channel: 'C0TEST0001', text: `🌤 ${ended}` },
    ]);
    const timeline = await deps.store.list('INC-1');
    expect(timeline.filter((entry) => entry.type === 'gate.unfrozen')).toMatchObject([
      { actor: 'rollbot', text: ended },
    ]);
    // Said once, however often the poller runs.
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('channel.message')).toHaveLength(2);
  });

  it('says nothing more at `until` of a freeze lifted before it, or replaced, but ends the replacing one', async () => {
    const deps = freezeDeps();
    const first = deps.clock.now() + DAY;
    const shorter = deps.clock.now() + HOUR;
    await freeze(deps, 'churn-predictor', iso(first), 'U0LEAD', 'release train');
    await lift(deps, 'churn-predictor');
    await freeze(deps, 'fraud-scorer', iso(first), 'U0LEAD', 'release train');
    await freeze(deps, 'fraud-scorer', iso(shorter), 'U0LEAD', 'release train, shortened');
    const before = deps.notifier.ofType('channel.message').length;

    deps.clock.set(shorter);
    await pollDeadlines(deps);
    deps.clock.set(first);
    await pollDeadlines(deps);

    expect(
      deps.notifier
        .ofType('channel.message')
        .slice(before)
        .map((event) => event.text),
    ).toEqual([
      `🌤 deploy freeze of fraud-scorer by U0LEAD ended at ${iso(shorter)}: release train, shortened; it no longer closes the deployment gate`,
    ]);
  });

  it("ending a model's own freeze says the freeze of every model still holds it", async () => {
    const deps = freezeDeps();
    const own = deps.clock.now() + DAY;
    const all = deps.clock.now() + 3 * DAY;
    await freeze(deps, 'fraud-scorer', iso(own), 'U0LEAD', 'release train');
    await freeze(deps, '*', iso(all), 'U0LEAD', 'holidays');

    deps.clock.set(own);
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('channel.message').at(-1)?.text).toBe(
      `🌤 deploy freeze of fraud-scorer by U0LEAD ended at ${iso(own)}: release train; ` +
        `the deploy freeze of every model by U0LEAD until ${iso(all)} still holds it`,
    );

    deps.clock.set(all);
    await pollDeadlines(deps);
    expect(
      deps.notifier
        .ofType('channel.message')
        .slice(-2)
        .map((event) => event.text),
    ).toEqual([
      `🌤 deploy freeze of every model by U0LEAD ended at ${iso(all)}: holidays; it no longer closes the deployment gate`,
      `🌤 deploy freeze of every model by U0LEAD ended at ${iso(all)}: holidays; it no longer closes the deployment gate`,
    ]);
  });

  it('ending the freeze of every model names the models still frozen on their own', async () => {
    const deps = freezeDeps();
    const all = deps.clock.now() + DAY;
    await freeze(deps, '*', iso(all), 'U0LEAD', 'holidays');
    await freeze(deps, 'fraud-scorer', iso(all + DAY), 'U0LEAD', 'release train');

    deps.clock.set(all);
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('channel.message').at(-1)?.text).toBe(
      `🌤 deploy freeze of every model by U0LEAD ended at ${iso(all)}: holidays; fraud-scorer stays frozen on its own`,
    );
  });
});
