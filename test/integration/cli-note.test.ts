import { userInfo } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import type { EngineDeps } from '../../src/engine/context.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { resolve } from '../../src/engine/resolve.js';
import { firing } from '../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../helpers/engine.js';
import { capture, useSeededRedis } from '../helpers/cli.js';
import { serveAppRecording } from '../helpers/http.js';

/** fraud-scorer lets only U0LEAD act: a note is no action, so anyone's is taken. */
const RUNBOOK = 'rollback: { approvers: [U0LEAD] }';

/** What a refused note must leave as it was: the incident and its timeline. */
async function stored(deps: Pick<EngineDeps, 'store'>, id = 'INC-1') {
  return { incident: await deps.store.getIncident(id), timeline: await deps.store.list(id) };
}

/** Misuse refused before anything is read or written: exit 2, the usage, and the fix. */
const MISUSE = [
  { args: ['note'], error: /^error: usage: rollbot note <id> <text…> \[--as <user ID>\]$/ },
  { args: ['note', 'INC-1'], error: /^error: usage: rollbot note / },
  {
    args: ['note', 'INC-1', '  '],
    error: /^error: a note needs text\n {4}usage: rollbot note .*\nfix: write what you found/,
  },
  {
    args: ['note', 'INC-1', 'stale features', '--as', ''],
    error: /^error: --as is empty\n {4}usage: rollbot note .*\nfix: give your Slack user ID/,
  },
];

describe('rollbot note in-process, on Redis', () => {
  // The CLI opens its own store on REDIS_URL (prefix rollbot:): `deps`, on the same keys, seeds and inspects.
  const seeded = useSeededRedis(RUNBOOK);
  let deps: TestDeps;
  let env: Record<string, string>;

  beforeEach(() => {
    deps = seeded.deps;
    env = { REDIS_URL: seeded.redis.url, RUNBOOKS_DIR: seeded.dir, USER: 'ana' };
  });

  it('adds the words after the id as one note, as cli:<login>, changing nothing but the timeline', async () => {
    const before = await stored(deps);
    const { io, out, err } = capture();
    expect(await runCli(['note', 'INC-1', 'feature', 'store', 'stale since 01:40'], env, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual(['note added to the timeline of INC-1 by cli:ana']);
    const after = await stored(deps);
    expect(after.incident).toEqual(before.incident);
    expect(after.timeline.slice(0, -1)).toEqual(before.timeline);
    expect(after.timeline.at(-1)).toMatchObject({
      type: 'note',
      actor: 'cli:ana',
      text: 'feature store stale since 01:40',
    });
  });

  it('names the login from the system where USER and LOGNAME are unset or empty (kubectl exec, cron)', async () => {
    const login = userInfo().username;
    for (const names of [{}, { USER: '', LOGNAME: ' ' }]) {
      const { io, out } = capture();
      const { USER: _user, ...rest } = env;
      expect(await runCli(['note', 'INC-1', 'checked the dashboards'], { ...rest, ...names }, io)).toBe(0);
      expect(out).toEqual([`note added to the timeline of INC-1 by cli:${login}`]);
      expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({ actor: `cli:${login}` });
    }
  });

  it('notes as --as, on a resolved incident too', async () => {
    await resolve(deps, 'INC-1', { by: 'U0LEAD', reason: 'back to normal' });
    const { io, out } = capture();
    expect(
      await runCli(['note', 'INC-1', '--as', 'U0ANA', 'the backfill was paused at 01:35'], env, io),
    ).toBe(0);
    expect(out).toEqual(['note added to the timeline of INC-1 by U0ANA']);
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'note',
      actor: 'U0ANA',
      text: 'the backfill was paused at 01:35',
    });
    // A note that starts with "-" follows `--`, not read as an option.
    expect(await runCli(['note', 'INC-1', '--', '-20% conversions since 01:40'], env, capture().io)).toBe(0);
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      actor: 'cli:ana',
      text: '-20% conversions since 01:40',
    });
  });

  it('refuses an unknown incident (exit 1) and a note too long (exit 2), recording nothing', async () => {
    const before = await stored(deps);
    const unknown = capture();
    expect(await runCli(['note', 'INC-9', 'stale features'], env, unknown.io)).toBe(1);
    expect(unknown.err).toEqual([
      'error: no incident INC-9\nfix: list incidents with `/incident list` or `rollbot incidents`',
    ]);
    const long = capture();
    expect(await runCli(['note', 'INC-1', 'x'.repeat(3_001)], env, long.io)).toBe(2);
    expect(long.err).toEqual([
      'error: a note is at most 3000 characters; this one has 3001\n' +
        'fix: split it into several notes, or link to where the details are',
    ]);
    expect(await stored(deps)).toEqual(before);
    expect(await deps.store.list('INC-9')).toEqual([]);
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

describe('rollbot note against a running bot (ROLLBOT_URL)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function bot() {
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', RUNBOOK)] });
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const server = await serveAppRecording(deps);
    close = server.close;
    return { deps, seen: server.seen, env: { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ana' } };
  }

  it('notes through POST /api/incidents/:id/notes, and the channel is told', async () => {
    const { deps, seen, env } = await bot();
    const { io, out, err } = capture();
    expect(await runCli(['note', 'INC-1', 'feature store stale since 01:40', '--as', 'U0ANA'], env, io)).toBe(
      0,
    );
    expect(err).toEqual([]);
    expect(out).toEqual(['note added to the timeline of INC-1 by U0ANA']);
    expect(seen).toEqual(['POST /api/incidents/INC-1/notes']);
    expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
      type: 'note',
      actor: 'U0ANA',
      text: 'feature store stale since 01:40',
    });
    expect(deps.notifier.ofType('incident.updated').at(-1)?.text).toBe(
      'note by U0ANA: feature store stale since 01:40',
    );
  });

  it("passes on the bot's refusals, with the fix, recording nothing", async () => {
    const { deps, env } = await bot();
    const before = await stored(deps);
    const unknown = capture();
    expect(await runCli(['note', 'INC-9', 'stale features'], env, unknown.io)).toBe(1);
    expect(unknown.err).toEqual([
      'error: no incident INC-9\nfix: list incidents with `/incident list` or `rollbot incidents`',
    ]);
    const long = capture();
    expect(await runCli(['note', 'INC-1', 'x'.repeat(3_001)], env, long.io)).toBe(2);
    expect(long.err).toEqual([
      expect.stringMatching(/^error: a note is at most 3000 characters; this one has 3001\n/),
    ]);
    expect(await stored(deps)).toEqual(before);
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
