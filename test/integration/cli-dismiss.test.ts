import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import type { EngineDeps } from '../../src/engine/context.js';
import { createGroupResolver } from '../../src/engine/group-membership.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { resolve } from '../../src/engine/resolve.js';
import { firing } from '../helpers/alerts.js';
import { capture, useSeededRedis } from '../helpers/cli.js';
import { TestClock, makeDeps, makeRunbook, type TestDeps } from '../helpers/engine.js';
import { apiFetch, json, serveAppRecording } from '../helpers/http.js';

/**
 * fraud-scorer lets only U0ANA decide; churn-predictor lists nobody, so anyone may; search-ranker lists only a user
 * group, as runbooks/search-ranker.yml does.
 */
const RUNBOOKS = {
  'fraud-scorer': 'rollback: { approvers: [U0ANA] }',
  'churn-predictor': '',
  'search-ranker': 'rollback: { approvers: [S0SEARCHOC] }',
} as const;
const runbooks = () => Object.entries(RUNBOOKS).map(([model, extra]) => makeRunbook(model, extra));

/** What a refused dismissal must leave as it was: the incident, its timeline and its deadlines. */
async function stored(deps: Pick<EngineDeps, 'store'>, id = 'INC-1') {
  return {
    incident: await deps.store.getIncident(id),
    timeline: await deps.store.list(id),
    deadlines: await deps.store.pending(),
  };
}

/** Misuse refused before anything is read or written: exit 2, the usage, and the fix. */
const MISUSE = [
  { args: ['dismiss'], error: /^error: usage: rollbot dismiss <id> --reason "…" \[--as <user ID>\]$/ },
  {
    args: ['dismiss', 'INC-1'],
    error: /^error: "not a rollback" needs a reason\n {4}usage: rollbot dismiss /,
  },
  {
    args: ['dismiss', 'INC-1', '--reason', ' '],
    error:
      /^error: "not a rollback" needs a reason\n {4}usage: rollbot dismiss .*\nfix: say why, e\.g\. --reason "upstream outage, not the model"$/,
  },
  {
    args: ['dismiss', 'INC-1', '--reason', 'upstream outage', '--as', ''],
    error: /^error: --as is empty\n {4}usage: rollbot dismiss .*\nfix: give your Slack user ID/,
  },
  { args: ['dismiss', 'INC-1', 'INC-2', '--reason', 'x'], error: /^error: usage: rollbot dismiss / },
];

describe('rollbot dismiss in-process, on Redis', () => {
  // The CLI opens its own store on REDIS_URL (prefix rollbot:): `deps`, on the same keys, seeds and inspects.
  const seeded = useSeededRedis(RUNBOOKS);
  let deps: TestDeps;
  let env: Record<string, string>;

  beforeEach(() => {
    deps = seeded.deps;
    env = { REDIS_URL: seeded.redis.url, RUNBOOKS_DIR: seeded.dir, USER: 'ana' };
  });

  it('decides "not a rollback" as --as, from the CLI: triage ends and its deadlines go', async () => {
    expect((await deps.store.pending()).map((deadline) => deadline.id)).toEqual(
      expect.arrayContaining([expect.stringContaining('INC-1')]),
    );
    const { io, out, err } = capture();
    const args = ['dismiss', 'INC-1', '--reason', 'upstream outage, not the model', '--as', 'U0ANA'];
    expect(await runCli(args, env, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual(['INC-1 dismissed: not a rollback, decided by U0ANA']);
    expect(await deps.store.getIncident('INC-1')).toMatchObject({
      phase: 'dismissed',
      decision: {
        kind: 'not-rollback',
        by: 'U0ANA',
        reason: 'upstream outage, not the model',
        trigger: 'cli',
      },
    });
    expect(await deps.store.pending()).toEqual([]);
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'decision.not-rollback',
      actor: 'U0ANA',
    });
  });

  it('decides as cli:<login> where the runbook lists nobody', async () => {
    await ingestAlerts(deps, [firing('churn-predictor', deps.clock.now())]);
    const { io, out } = capture();
    expect(await runCli(['dismiss', 'INC-2', '--reason', 'a dashboard glitch'], env, io)).toBe(0);
    expect(out).toEqual(['INC-2 dismissed: not a rollback, decided by cli:ana']);
    expect((await deps.store.getIncident('INC-2'))?.decision).toMatchObject({
      by: 'cli:ana',
      trigger: 'cli',
    });
  });

  it('refuses someone the runbook does not list, saying how to name yourself, and records only the denial', async () => {
    const before = await stored(deps);
    const { io, out, err } = capture();
    expect(await runCli(['dismiss', 'INC-1', '--reason', 'looks fine'], env, io)).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      'error: cli:ana may not dismiss fraud-scorer: the runbook allows U0ANA\n' +
        'fix: dismiss as yourself with --as <your Slack user ID> if rollback.approvers lists it or a user group of it that you are in; ' +
        `or ask one of U0ANA, or add yourself to rollback.approvers in ${join(seeded.dir, 'fraud-scorer.yml')}`,
    ]);
    const named = capture();
    expect(await runCli(['dismiss', 'INC-1', '--reason', 'looks fine', '--as', 'U0BO'], env, named.io)).toBe(
      1,
    );
    expect(named.err).toEqual([
      'error: U0BO may not dismiss fraud-scorer: the runbook allows U0ANA\n' +
        `fix: ask one of U0ANA, or add yourself to rollback.approvers in ${join(seeded.dir, 'fraud-scorer.yml')}`,
    ]);
    const after = await stored(deps);
    expect(after.incident).toEqual(before.incident);
    expect(after.deadlines).toEqual(before.deadlines);
    expect(after.timeline.slice(0, -2)).toEqual(before.timeline);
    expect(after.timeline.slice(-2)).toMatchObject([
      { type: 'permission.denied', actor: 'cli:ana' },
      { type: 'permission.denied', actor: 'U0BO' },
    ]);
  });

  /** The bot (on this Redis) read S0SEARCHOC's members from Slack `ago` ms ago: its snapshot is what the CLI has. */
  async function botSawGroup(members: string[], ago = 0) {
    const then = new TestClock(deps.clock.now() - ago);
    const directory = { members: async () => members };
    await createGroupResolver({ store: deps.store, clock: then, logger: deps.logger, directory })('U0ANA', [
      'S0SEARCHOC',
    ]);
  }

  it("lets a member of a group-only runbook's approver group through, from the group's snapshot", async () => {
    await ingestAlerts(deps, [firing('search-ranker', deps.clock.now())]);
    await botSawGroup(['U0ANA', 'U0CAROL'], 3 * 86_400_000);
    const before = await stored(deps, 'INC-2');
    const outsider = capture();
    const args = ['dismiss', 'INC-2', '--reason', 'upstream outage, not the model', '--as'];
    expect(await runCli([...args, 'U0BO'], env, outsider.io)).toBe(1);
    expect(outsider.err).toEqual([
      'error: U0BO may not dismiss search-ranker: the runbook allows S0SEARCHOC\n' +
        `fix: ask one of S0SEARCHOC, or add yourself to rollback.approvers in ${join(seeded.dir, 'search-ranker.yml')}`,
    ]);
    const refused = await stored(deps, 'INC-2');
    expect({ ...refused, timeline: refused.timeline.slice(0, -1) }).toEqual(before);
    expect(refused.timeline.at(-1)).toMatchObject({ type: 'permission.denied', actor: 'U0BO' });

    const { io, out, err } = capture();
    expect(await runCli([...args, 'U0ANA'], env, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual(['INC-2 dismissed: not a rollback, decided by U0ANA']);
    expect(await deps.store.getIncident('INC-2')).toMatchObject({
      phase: 'dismissed',
      decision: { kind: 'not-rollback', by: 'U0ANA', trigger: 'cli' },
    });
  });

  it('refuses a group approver when no snapshot of the group is recent, saying it could not be checked', async () => {
    await ingestAlerts(deps, [firing('search-ranker', deps.clock.now())]);
    const args = ['dismiss', 'INC-2', '--reason', 'looks fine', '--as', 'U0ANA'];
    const fix =
      'fix: act as a user ID that rollback.approvers lists, or try again once Slack answers (group members are read from Slack, or from a snapshot of them under 7d old); ' +
      `or ask one of S0SEARCHOC, or add yourself to rollback.approvers in ${join(seeded.dir, 'search-ranker.yml')}`;
    const before = await stored(deps, 'INC-2');

    const none = capture();
    expect(await runCli(args, env, none.io)).toBe(1);
    expect(none.err).toEqual([
      'error: U0ANA may not dismiss search-ranker: the runbook allows S0SEARCHOC; membership of S0SEARCHOC could not be checked: ' +
        `Slack is not asked from here (no SLACK_BOT_TOKEN), and no snapshot of its members is stored\n${fix}`,
    ]);
    await botSawGroup(['U0ANA'], 8 * 86_400_000);
    const old = capture();
    expect(await runCli(args, env, old.io)).toBe(1);
    expect(old.err).toEqual([
      expect.stringMatching(
        /^error: U0ANA may not dismiss search-ranker: the runbook allows S0SEARCHOC; membership of S0SEARCHOC could not be checked: .*the last snapshot of its members is 8d old \(snapshots count for 7d\)\n/,
      ),
    ]);

    // cli:<login> is no Slack user, so no group could hold it: told to name themselves, not to wait for Slack.
    const login = capture();
    expect(await runCli(['dismiss', 'INC-2', '--reason', 'looks fine'], env, login.io)).toBe(1);
    expect(login.err).toEqual([
      'error: cli:ana may not dismiss search-ranker: the runbook allows S0SEARCHOC\n' +
        'fix: dismiss as yourself with --as <your Slack user ID> if rollback.approvers lists it or a user group of it that you are in; ' +
        `or ask one of S0SEARCHOC, or add yourself to rollback.approvers in ${join(seeded.dir, 'search-ranker.yml')}`,
    ]);

    const after = await stored(deps, 'INC-2');
    expect({ ...after, timeline: after.timeline.slice(0, -3) }).toEqual(before);
    expect(after.timeline.slice(-3)).toMatchObject([
      { type: 'permission.denied', actor: 'U0ANA' },
      { type: 'permission.denied', actor: 'U0ANA' },
      { type: 'permission.denied', actor: 'cli:ana' },
    ]);
  });

  it('refuses an unknown incident and one no longer in triage, changing nothing', async () => {
    const before = await stored(deps);
    const unknown = capture();
    expect(await runCli(['dismiss', 'INC-9', '--reason', 'x', '--as', 'U0ANA'], env, unknown.io)).toBe(1);
    expect(unknown.err).toEqual([
      'error: no incident INC-9\nfix: list incidents with `/incident list` or `rollbot incidents`',
    ]);
    expect(await stored(deps)).toEqual(before);

    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'recovered by itself' });
    const resolved = await stored(deps);
    const late = capture();
    expect(await runCli(['dismiss', 'INC-1', '--reason', 'x', '--as', 'U0ANA'], env, late.io)).toBe(1);
    expect(late.err).toEqual([
      'error: incident INC-1 is resolved: it is no longer in triage, so there is nothing to decide\n' +
        'fix: see the incident timeline',
    ]);
    expect(await stored(deps)).toEqual(resolved);
  });

  it.each(MISUSE)('refuses $args with its usage before touching the store', async ({ args, error }) => {
    const before = await stored(deps);
    const { io, out, err } = capture();
    expect(await runCli(args, env, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([expect.stringMatching(error)]);
    expect(await stored(deps)).toEqual(before);
  });
});

describe('rollbot dismiss against a running bot (ROLLBOT_URL)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function bot() {
    const deps = makeDeps({ runbooks: runbooks() });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const server = await serveAppRecording(deps);
    close = server.close;
    const gate = async () => (await json(apiFetch(`${server.url}/api/gate/fraud-scorer`))).reasons;
    return {
      deps,
      seen: server.seen,
      gate,
      env: { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ana' },
    };
  }

  it('dismisses through POST /api/incidents/:id/dismiss as --as, and the gate no longer counts it', async () => {
    const { deps, seen, gate, env } = await bot();
    expect(await gate()).toEqual([expect.stringMatching(/^open incident INC-1/)]);
    seen.length = 0;
    const { io, out, err } = capture();
    const args = ['dismiss', 'INC-1', '--reason', 'upstream outage, not the model', '--as', 'U0ANA'];
    expect(await runCli(args, env, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual(['INC-1 dismissed: not a rollback, decided by U0ANA']);
    expect(seen).toEqual(['POST /api/incidents/INC-1/dismiss']);
    expect(await deps.store.getIncident('INC-1')).toMatchObject({
      phase: 'dismissed',
      decision: {
        kind: 'not-rollback',
        by: 'U0ANA',
        reason: 'upstream outage, not the model',
        trigger: 'api',
      },
    });
    expect(await deps.store.pending()).toEqual([]);
    expect(await gate()).toEqual([]);
  });

  it("passes on the bot's refusals, with the fix, changing nothing but the recorded denial", async () => {
    const { deps, env } = await bot();
    const before = await stored(deps);
    const refused = capture();
    expect(await runCli(['dismiss', 'INC-1', '--reason', 'looks fine'], env, refused.io)).toBe(1);
    expect(refused.err).toEqual([
      'error: cli:ana may not dismiss fraud-scorer: the runbook allows U0ANA\n' +
        'fix: dismiss as yourself with --as <your Slack user ID> if rollback.approvers lists it or a user group of it that you are in; ' +
        'or ask one of U0ANA, or add yourself to rollback.approvers in runbooks/fraud-scorer.yml',
    ]);
    const unknown = capture();
    expect(await runCli(['dismiss', 'INC-9', '--reason', 'x', '--as', 'U0ANA'], env, unknown.io)).toBe(1);
    expect(unknown.err).toEqual([
      'error: no incident INC-9\nfix: list incidents with `/incident list` or `rollbot incidents`',
    ]);
    const after = await stored(deps);
    expect(after.incident).toEqual(before.incident);
    expect(after.deadlines).toEqual(before.deadlines);
    expect(after.timeline.slice(0, -1)).toEqual(before.timeline);
    expect(after.timeline.at(-1)).toMatchObject({ type: 'permission.denied', actor: 'cli:ana' });

    expect(
      await runCli(['dismiss', 'INC-1', '--reason', 'false alarm', '--as', 'U0ANA'], env, capture().io),
    ).toBe(0);
    const dismissed = await stored(deps);
    const again = capture();
    expect(await runCli(['dismiss', 'INC-1', '--reason', 'still', '--as', 'U0ANA'], env, again.io)).toBe(1);
    expect(again.err).toEqual([
      'error: incident INC-1 is dismissed: it was decided already\n' +
        'fix: decided "not-rollback" by U0ANA; see the incident timeline',
    ]);
    expect(await stored(deps)).toEqual(dismissed);
  });

  it.each(MISUSE)('refuses $args with its usage without calling the bot', async ({ args, error }) => {
    const { deps, seen, env } = await bot();
    const before = await stored(deps);
    const { io, err } = capture();
    expect(await runCli(args, env, io)).toBe(2);
    expect(err).toEqual([expect.stringMatching(error)]);
    expect(seen).toEqual([]);
    expect(await stored(deps)).toEqual(before);
  });
});
