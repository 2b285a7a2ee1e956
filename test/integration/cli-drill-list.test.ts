/**
 * `rollbot drill list --format json`: what the table shows (model, schedule, next occurrences, last result, last
 * skip, the drill under way or the open incident that will skip one), for scripts — times as ISO text, incidents
 * by id — from the bot over its API and from the engine in this process alike. `--format` is read and refused as
 * `rollbot incidents` reads and refuses it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { noteSkipped } from '../../src/engine/drill-skips.js';
import { runDrillNow } from '../../src/engine/drill-start.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { firing } from '../helpers/alerts.js';
import { capture, useSeededRedis } from '../helpers/cli.js';
import { makeDeps, makeRunbook, type TestDeps } from '../helpers/engine.js';
import { serveApp } from '../helpers/http.js';

const DRILL = 'drill: { dryRun: true }';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** `drill list --format json` run with `env`, parsed; nothing on stderr. */
async function listed(env: Record<string, string>): Promise<Record<string, unknown>[]> {
  const { io, out, err } = capture();
  expect(await runCli(['drill', 'list', '--format', 'json'], env, io)).toBe(0);
  expect(err).toEqual([]);
  return JSON.parse(out.join('\n')) as Record<string, unknown>[];
}

describe('rollbot drill list --format json against a running bot', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  /** fraud-scorer drilled (passed) an hour ago, a skipped occurrence noted, and now a real incident open. */
  async function bot(): Promise<{ deps: TestDeps; env: Record<string, string> }> {
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', DRILL)] });
    await runDrillNow(deps, 'fraud-scorer', { by: 'cli:ana', dryRun: false });
    await noteSkipped(deps, 'fraud-scorer', { at: deps.clock.now() + 1_000, reason: 'rollbot was down' });
    deps.clock.advance(3_600_000);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const server = await serveApp(deps);
    close = server.close;
    return { deps, env: { ROLLBOT_URL: server.url, API_TOKEN: 'api-t' } };
  }

  it('prints each model with ISO times and incident ids', async () => {
    const { deps, env } = await bot();
    const started = new Date(deps.clock.now() - 3_600_000).toISOString();
    const [fraud, ...others] = await listed(env);
    expect(others).toEqual([]);
    expect(fraud).toMatchObject({
      model: 'fraud-scorer',
      schedule: 'quarterly',
      timezone: 'UTC',
      target: 'dry run (plan only, nothing changes)',
      lastSuccess: started,
      last: { incidentId: 'INC-1', outcome: 'passed', at: started },
      lastSkipped: { at: new Date(Date.parse(started) + 1_000).toISOString(), reason: 'rollbot was down' },
      open: {
        incidentId: 'INC-2',
        drill: false,
        phase: 'triage',
        since: new Date(deps.clock.now()).toISOString(),
      },
    });
    const next = fraud?.next as unknown[];
    expect(next).toHaveLength(2);
    for (const at of next) expect(at).toMatch(ISO);
  });

  it('refuses a format it does not have, as incidents does, with the usage', async () => {
    const { env } = await bot();
    for (const format of ['yaml', '']) {
      const { io, out, err } = capture();
      expect(await runCli(['drill', 'list', '--format', format], env, io)).toBe(2);
      expect(out).toEqual([]);
      expect(err).toEqual([
        `error: --format "${format}" is not a format of the drill list\n` +
          '    usage: rollbot drill list [--format table|json]\n' +
          'fix: write table (the default) or json',
      ]);
    }
  });

  it('refuses --format on drill run, which prints a scorecard only', async () => {
    const { deps, env } = await bot();
    const before = await deps.store.listIncidents({});
    const { io, err } = capture();
    expect(await runCli(['drill', 'run', 'fraud-scorer', '--format', 'json'], env, io)).toBe(2);
    expect(err[0]).toMatch(/^error: drill run takes no --format\n {4}usage: rollbot drill run /);
    expect(await deps.store.listIncidents({})).toEqual(before);
  });
});

describe('rollbot drill list --format json in-process, on Redis', () => {
  // The CLI opens its own store on REDIS_URL: `seeded.deps`, on the same keys, has opened INC-1 for fraud-scorer.
  const seeded = useSeededRedis(DRILL);
  let env: Record<string, string>;
  beforeEach(() => {
    env = { REDIS_URL: seeded.redis.url, RUNBOOKS_DIR: seeded.dir };
  });

  it('prints the open incident that will skip a drill, and no last result before the first drill', async () => {
    const opened = new Date(seeded.deps.clock.now()).toISOString();
    const [fraud, ...others] = await listed(env);
    expect(others).toEqual([]);
    expect(fraud).toEqual({
      model: 'fraud-scorer',
      schedule: 'quarterly',
      timezone: 'UTC',
      target: 'dry run (plan only, nothing changes)',
      next: [expect.stringMatching(ISO), expect.stringMatching(ISO)],
      open: { incidentId: 'INC-1', drill: false, phase: 'triage', since: opened },
    });
  });
});
