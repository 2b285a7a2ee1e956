/**
 * `/rollbot freeze` and `/rollbot unfreeze`: a release manager holds a model's deployments from Slack, through the
 * same engine as the API and CLI (freeze.ts), answered only to them; the channel is told by the freeze itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentGate } from '../../../src/engine/gate.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { commandReply, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  deps = makeDeps({
    clock: new RealClock(),
    runbooks: [
      { ...makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }'), tier: 2 },
      {
        ...makeRunbook('churn-predictor', 'rollback: { approvers: [U0LEAD] }'),
        tier: 2,
        channel: 'C0CHURN001',
      },
    ],
  });
  slack = await serveSlackRoute(deps);
});

afterEach(async () => {
  await slack.close();
});

/** Sends `/rollbot <text>` as `user` and returns the reply to them. */
const rollbot = (text: string, user = 'U0LEAD') => commandReply(slack, '/rollbot', text, user);

const inADay = () => new Date(Date.now() + 86_400_000).toISOString();

describe('/rollbot freeze and unfreeze', () => {
  it('freezes a model until the time given, tells the channel, and lifts it', async () => {
    const until = inADay();
    const reply = await rollbot(`freeze fraud-scorer until ${until} year-end freeze`);
    expect(reply).toBe(`Deployments of fraud-scorer are frozen until ${until}. The channel has been told.`);
    expect((await deploymentGate(deps, 'fraud-scorer')).reasons).toEqual([
      `deploy freeze by U0LEAD until ${until}: year-end freeze`,
    ]);
    expect(deps.notifier.ofType('channel.message').map((event) => event.text)).toEqual([
      `🧊 deployments of fraud-scorer frozen by U0LEAD until ${until}: year-end freeze`,
    ]);
    expect((await deploymentGate(deps, 'churn-predictor')).allowed).toBe(true);

    expect(await rollbot('unfreeze fraud-scorer fix shipped')).toBe(
      'The deploy freeze of fraud-scorer is lifted. The channel has been told.',
    );
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(true);
  });

  it('freezes every model with --all, and says when a freeze of every model still holds one lifted', async () => {
    const until = inADay();
    expect(await rollbot(`freeze --all until ${until} holidays`)).toBe(
      `Deployments of every model (fraud-scorer, churn-predictor) are frozen until ${until}. The channels have been told.`,
    );
    await rollbot(`freeze fraud-scorer until ${until} release train`);
    expect(await rollbot('unfreeze fraud-scorer')).toBe(
      `The deploy freeze of fraud-scorer is lifted. The channel has been told. The deploy freeze of every model by U0LEAD until ${until} still holds it: lift that one with \`/rollbot unfreeze --all\`.`,
    );
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(false);
    // Refusals point at the command in Slack, not only at the CLI's and the API's.
    expect(await rollbot('unfreeze churn-predictor')).toContain('/rollbot unfreeze --all in Slack');
    await rollbot('unfreeze --all');
    expect(await rollbot('unfreeze --all')).toContain('/rollbot unfreeze &lt;model&gt; in Slack');
  });

  it('unfreezing --all names each model still frozen on its own: who, until when, and how to lift it', async () => {
    const own = inADay();
    const all = new Date(Date.now() + 2 * 86_400_000).toISOString();
    await rollbot(`freeze fraud-scorer until ${own} release train`);
    await rollbot(`freeze --all until ${all} holidays`);

    expect(await rollbot('unfreeze --all')).toBe(
      'The deploy freeze of every model (fraud-scorer, churn-predictor) is lifted. The channels have been told. ' +
        'Still frozen on its own, its gate closed:\n' +
        `• fraud-scorer: deploy freeze by U0LEAD until ${own}: release train — lift it with \`/rollbot unfreeze fraud-scorer\``,
    );
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(false);
    expect((await deploymentGate(deps, 'churn-predictor')).allowed).toBe(true);
  });

  it("says which freeze a new one replaces, so that shortening a colleague's is not done unawares", async () => {
    const longer = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const shorter = inADay();
    await rollbot(`freeze fraud-scorer until ${longer} quarter close`);

    expect(await rollbot(`freeze fraud-scorer until ${shorter} release train`)).toBe(
      `Deployments of fraud-scorer are frozen until ${shorter}. The channel has been told. ` +
        `It replaces the deploy freeze by U0LEAD until ${longer}: quarter close.`,
    );
  });

  it('refuses someone the runbook does not allow, a bad time or a typo, freezing nothing', async () => {
    expect(await rollbot(`freeze fraud-scorer until ${inADay()} because`, 'U0MALLORY')).toContain(
      'U0MALLORY may not freeze deployments of fraud-scorer',
    );
    expect(await rollbot('freeze fraud-scorer until tomorrow holidays')).toContain(
      'invalid deploy freeze: until: "tomorrow" is not an ISO time with a time zone',
    );
    expect(await rollbot(`freeze fraud-scorrer until ${inADay()} holidays`)).toContain(
      'no runbook for model "fraud-scorrer" (did you mean "fraud-scorer"?)',
    );
    expect(await rollbot('freeze fraud-scorer holidays')).toContain('freeze needs "until" after the model');
    expect(await rollbot(`freeze fraud-scorer until ${inADay()}`)).toContain(
      'freeze needs a reason after the time it ends',
    );
    expect(await rollbot('unfreeze fraud-scorer')).toContain('fraud-scorer is not frozen');
    // A typo of --all (or Slack turning -- into —) is not sent off as a model to add a runbook for.
    const dash = await rollbot(`freeze —all until ${inADay()} holidays`);
    expect(dash).toContain(
      `\`—all\` is neither a model nor \`--all\`. Did you mean \`/rollbot freeze --all until ${inADay().slice(0, 10)}`,
    );
    expect(dash).not.toContain('runbooks/');
    expect(await rollbot('unfreeze --al')).toContain('Did you mean `/rollbot unfreeze --all`?');
    expect((await deploymentGate(deps, 'fraud-scorer')).allowed).toBe(true);
    expect(deps.notifier.ofType('channel.message')).toEqual([]);
  });

  it('still answers help, with the freeze commands in it', async () => {
    const help = await rollbot('help');
    expect(help).toContain('`/rollbot freeze &lt;model&gt; until &lt;ISO time&gt; &lt;reason&gt;`');
    expect(help).toContain('`/rollbot unfreeze &lt;model&gt; [reason]`');
  });
});
