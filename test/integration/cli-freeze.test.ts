import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { deploymentGate } from '../../src/engine/gate.js';
import { capture, useSeededRedis } from '../helpers/cli.js';
import { makeDeps, makeRunbook, type TestDeps } from '../helpers/engine.js';
import { serveAppRecording } from '../helpers/http.js';

const DAY = 86_400_000;

/** Tier 2, so that only a freeze closes the gates: fraud-scorer lets only U0LEAD act, churn-predictor anyone. */
const RUNBOOKS = {
  'fraud-scorer': 'rollback: { approvers: [U0LEAD] }',
  'churn-predictor': '',
} as const;
const runbooks = () =>
  Object.entries(RUNBOOKS).map(([model, extra]) => ({ ...makeRunbook(model, extra), tier: 2 as const }));

const reasons = async (deps: TestDeps, model = 'fraud-scorer') => (await deploymentGate(deps, model)).reasons;

/** Misuse refused before anything is read or written: exit 2 and the usage. */
const MISUSE = [
  { args: ['gate'], error: /^error: usage: rollbot gate freeze <model\|--all> .* \| rollbot gate unfreeze / },
  { args: ['gate', 'thaw', 'fraud-scorer'], error: /^error: usage: rollbot gate freeze / },
  { args: ['gate', 'freeze', '--until', 'x', '--reason', 'y'], error: /^error: name one model, or --all/ },
  {
    args: ['gate', 'freeze', 'fraud-scorer', '--all', '--until', 'x', '--reason', 'y'],
    error: /^error: name one model, or --all/,
  },
  {
    args: ['gate', 'freeze', 'fraud-scorer', '--reason', 'holidays'],
    error:
      /^error: a freeze needs --until and --reason\n {4}usage: rollbot gate freeze .*\nfix: e\.g\. --until /,
  },
  { args: ['gate', 'unfreeze', 'fraud-scorer', '--as', ''], error: /^error: --as is empty\n/ },
  // A freeze needs its reason: the fix says to give one, not to leave it out (which is refused next).
  {
    args: ['gate', 'freeze', 'fraud-scorer', '--until', '2099-01-01T00:00:00Z', '--reason', ' '],
    error:
      /^error: --reason is empty\n {4}usage: rollbot gate freeze .*\nfix: say why the freeze, e\.g\. --reason "year-end freeze"$/,
  },
  // `rollbot gate freeze "$MODEL" …` with MODEL unset: through the API, POST /api/gate//freeze answered 405.
  {
    args: ['gate', 'freeze', ' ', '--until', '2099-01-01T00:00:00Z', '--reason', 'holidays'],
    error:
      /^error: the model is empty\n {4}usage: rollbot gate freeze .*\nfix: name the model, or --all for every model$/,
  },
  {
    args: ['gate', 'unfreeze', ''],
    error: /^error: the model is empty\n {4}usage: rollbot gate unfreeze .*\nfix: name the model/,
  },
  {
    args: ['gate', 'unfreeze', 'fraud-scorer', '--reason', ''],
    error:
      /^error: --reason is empty\n {4}usage: rollbot gate unfreeze .*\nfix: say why, or leave --reason out$/,
  },
];

describe('rollbot gate freeze/unfreeze in-process, on Redis', () => {
  // The CLI opens its own store on REDIS_URL: `deps`, on the same keys, is another replica reading the gate.
  const seeded = useSeededRedis(RUNBOOKS, { tier: 2, alert: false });
  let deps: TestDeps;
  let env: Record<string, string>;

  beforeEach(() => {
    deps = seeded.deps;
    env = { REDIS_URL: seeded.redis.url, RUNBOOKS_DIR: seeded.dir, USER: 'ana' };
  });

  it('freezes a model as --as until --until; every replica sees it, and it ends at until by the clock', async () => {
    const until = new Date(Date.now() + DAY).toISOString();
    const { io, out, err } = capture();
    const args = [
      'gate',
      'freeze',
      'fraud-scorer',
      '--until',
      until,
      '--reason',
      'quarter close',
      '--as',
      'U0LEAD',
    ];
    expect(await runCli(args, env, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual([`deployments of fraud-scorer frozen until ${until} by U0LEAD: quarter close`]);
    expect(await reasons(deps)).toEqual([`deploy freeze by U0LEAD until ${until}: quarter close`]);
    expect(await reasons(deps, 'churn-predictor')).toEqual([]);
    // Redis still holds it at `until` (its expiry runs on Redis' own clock): the gate opens by the clock all the same.
    deps.clock.set(Date.parse(until));
    expect(await reasons(deps)).toEqual([]);
  });

  it('freezes every model with --all and lifts it, as cli:<login> where every runbook allows it', async () => {
    // churn-predictor lists nobody; fraud-scorer lists U0LEAD, so cli:ana may not freeze every model.
    const refused = capture();
    const until = new Date(Date.now() + DAY).toISOString();
    const freezeAll = ['gate', 'freeze', '--all', '--until', until, '--reason', 'holidays'];
    expect(await runCli(freezeAll, env, refused.io)).toBe(1);
    expect(refused.err).toEqual([
      'error: cli:ana may not freeze deployments of every model: the runbook of fraud-scorer allows U0LEAD\n' +
        'fix: freeze as yourself with --as <your Slack user ID> if rollback.approvers lists it or a user group of it that you are in; ' +
        "or a freeze of every model is set or lifted by someone every runbook's rollback.approvers allows: act on the models you may one by one, or ask someone who may",
    ]);
    expect(await reasons(deps, 'churn-predictor')).toEqual([]);

    const frozen = capture();
    expect(await runCli([...freezeAll, '--as', 'U0LEAD'], env, frozen.io)).toBe(0);
    expect(frozen.out).toEqual([
      `deployments of every model frozen until ${until} by U0LEAD: holidays (churn-predictor, fraud-scorer)`,
    ]);
    expect(await reasons(deps, 'churn-predictor')).toEqual([
      `deploy freeze of every model by U0LEAD until ${until}: holidays`,
    ]);

    const own = capture();
    expect(await runCli(['gate', 'unfreeze', 'churn-predictor'], env, own.io)).toBe(1);
    expect(own.err).toEqual([
      'error: churn-predictor is not frozen on its own\n' +
        `fix: the freeze of every model by U0LEAD until ${until} holds it: lift that one (/rollbot unfreeze --all in Slack, rollbot gate unfreeze --all, or POST /api/gate/*/unfreeze)`,
    ]);
    const lifted = capture();
    expect(await runCli(['gate', 'unfreeze', '--all', '--as', 'U0LEAD'], env, lifted.io)).toBe(0);
    expect(lifted.out).toEqual([`deploy freeze of every model lifted by U0LEAD (it was until ${until})`]);
    expect(await reasons(deps, 'churn-predictor')).toEqual([]);
  });

  it('unfreezing --all names each model still frozen on its own: who, until when, and how to lift it', async () => {
    const own = new Date(Date.now() + DAY).toISOString();
    const all = new Date(Date.now() + 2 * DAY).toISOString();
    const as = ['--as', 'U0LEAD'];
    expect(
      await runCli(
        ['gate', 'freeze', 'fraud-scorer', '--until', own, '--reason', 'release train', ...as],
        env,
        capture().io,
      ),
    ).toBe(0);
    expect(
      await runCli(
        ['gate', 'freeze', '--all', '--until', all, '--reason', 'holidays', ...as],
        env,
        capture().io,
      ),
    ).toBe(0);

    const lifted = capture();
    expect(await runCli(['gate', 'unfreeze', '--all', ...as], env, lifted.io)).toBe(0);
    expect(lifted.out).toEqual([
      `deploy freeze of every model lifted by U0LEAD (it was until ${all}); fraud-scorer stays frozen on its own ` +
        `(deploy freeze by U0LEAD until ${own}: release train): lift it with rollbot gate unfreeze fraud-scorer`,
    ]);
    expect(await reasons(deps)).toEqual([`deploy freeze by U0LEAD until ${own}: release train`]);
    expect(await reasons(deps, 'churn-predictor')).toEqual([]);
  });

  it('says which freeze a new one replaces', async () => {
    const longer = new Date(Date.now() + 2 * DAY).toISOString();
    const shorter = new Date(Date.now() + DAY).toISOString();
    const freeze = (until: string, reason: string) => [
      'gate',
      'freeze',
      'fraud-scorer',
      '--until',
      until,
      '--reason',
      reason,
      '--as',
      'U0LEAD',
    ];
    expect(await runCli(freeze(longer, 'quarter close'), env, capture().io)).toBe(0);

    const replaced = capture();
    expect(await runCli(freeze(shorter, 'release train'), env, replaced.io)).toBe(0);
    expect(replaced.out).toEqual([
      `deployments of fraud-scorer frozen until ${shorter} by U0LEAD: release train ` +
        `(replacing the deploy freeze by U0LEAD until ${longer}: quarter close)`,
    ]);
  });

  it('refuses a bad --until with the fix, exit 2, freezing nothing', async () => {
    const { io, out, err } = capture();
    const args = ['gate', 'freeze', 'fraud-scorer', '--until', 'friday', '--reason', 'x', '--as', 'U0LEAD'];
    expect(await runCli(args, env, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([
      'error: invalid deploy freeze: until: "friday" is not an ISO time with a time zone\n' +
        'fix: write it like 2026-12-27T09:00:00Z (UTC) or 2026-12-27T10:00:00+01:00; nothing was changed',
    ]);
    expect(await reasons(deps)).toEqual([]);
  });

  it.each(MISUSE)('refuses $args with its usage before touching the store', async ({ args, error }) => {
    const { io, out, err } = capture();
    expect(await runCli(args, env, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([expect.stringMatching(error)]);
    expect(await reasons(deps)).toEqual([]);
  });
});

describe('rollbot gate freeze/unfreeze against a running bot (ROLLBOT_URL)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function bot() {
    const deps = makeDeps({ runbooks: runbooks() });
    const server = await serveAppRecording(deps);
    close = server.close;
    return { deps, seen: server.seen, env: { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ana' } };
  }

  it('freezes and lifts through the API, passing on its refusals with exit 1', async () => {
    const { deps, seen, env } = await bot();
    const until = new Date(deps.clock.now() + DAY).toISOString();
    const args = ['gate', 'freeze', 'fraud-scorer', '--until', until, '--reason', 'quarter close'];
    const refused = capture();
    expect(await runCli(args, env, refused.io)).toBe(1);
    expect(refused.err).toEqual([
      expect.stringMatching(
        /^error: cli:ana may not freeze deployments of fraud-scorer: the runbook allows U0LEAD\nfix: freeze as yourself with --as/,
      ),
    ]);
    expect(await reasons(deps)).toEqual([]);

    expect(await runCli([...args, '--as', 'U0LEAD'], env, capture().io)).toBe(0);
    expect(await reasons(deps)).toEqual([`deploy freeze by U0LEAD until ${until}: quarter close`]);
    const lifted = capture();
    expect(
      await runCli(
        ['gate', 'unfreeze', 'fraud-scorer', '--as', 'U0LEAD', '--reason', 'done early'],
        env,
        lifted.io,
      ),
    ).toBe(0);
    expect(lifted.out).toEqual([`deploy freeze of fraud-scorer lifted by U0LEAD (it was until ${until})`]);
    expect(await reasons(deps)).toEqual([]);
    const again = capture();
    expect(await runCli(['gate', 'unfreeze', 'fraud-scorer', '--as', 'U0LEAD'], env, again.io)).toBe(1);
    expect(again.err).toEqual([expect.stringMatching(/^error: fraud-scorer is not frozen\n/)]);
    expect(seen).toEqual([
      'POST /api/gate/fraud-scorer/freeze',
      'POST /api/gate/fraud-scorer/freeze',
      'POST /api/gate/fraud-scorer/unfreeze',
      'POST /api/gate/fraud-scorer/unfreeze',
    ]);
  });

  it('unfreezing --all through the API names each model still frozen on its own', async () => {
    const { deps, env } = await bot();
    const own = new Date(deps.clock.now() + DAY).toISOString();
    const all = new Date(deps.clock.now() + 2 * DAY).toISOString();
    for (const [target, until] of [
      ['fraud-scorer', own],
      ['churn-predictor', own],
      ['--all', all],
    ] as const)
      expect(
        await runCli(
          ['gate', 'freeze', target, '--until', until, '--reason', 'release train', '--as', 'U0LEAD'],
          env,
          capture().io,
        ),
      ).toBe(0);

    const lifted = capture();
    expect(await runCli(['gate', 'unfreeze', '--all', '--as', 'U0LEAD'], env, lifted.io)).toBe(0);
    expect(lifted.out).toEqual([
      `deploy freeze of every model lifted by U0LEAD (it was until ${all}); fraud-scorer and churn-predictor ` +
        `stay frozen on their own (fraud-scorer: deploy freeze by U0LEAD until ${own}: release train; ` +
        `churn-predictor: deploy freeze by U0LEAD until ${own}: release train): ` +
        `lift each with rollbot gate unfreeze <model>`,
    ]);
  });

  it('freezes every model at /api/gate/*/freeze with --all', async () => {
    const { deps, seen, env } = await bot();
    const until = new Date(deps.clock.now() + DAY).toISOString();
    const args = ['gate', 'freeze', '--all', '--until', until, '--reason', 'holidays', '--as', 'U0LEAD'];
    expect(await runCli(args, env, capture().io)).toBe(0);
    expect(seen).toEqual(['POST /api/gate/*/freeze']);
    expect(await reasons(deps, 'churn-predictor')).toEqual([
      `deploy freeze of every model by U0LEAD until ${until}: holidays`,
    ]);
  });
});
