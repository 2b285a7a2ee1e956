/**
 * The CLI with neither ROLLBOT_URL nor REDIS_URL: its in-memory store dies with the command, so its rollback lock
 * is not a running bot's and nothing it records reaches one. Reads and dry runs go ahead; writes are refused unless
 * asked for with --in-memory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { runbookDir } from '../helpers/bot-process.js';
import { capture } from '../helpers/cli.js';
import { runbookYaml } from '../helpers/engine.js';
import { startRouter, type FakeRouter } from '../helpers/router.js';

let router: FakeRouter;
let staging: FakeRouter;
let env: Record<string, string>;

/** The runbook's `serving:` fields for the router at `url`. */
function servingOn(url: string, indent: string): string {
  return [
    'adapter: http',
    `rollback: { method: POST, url: "${url}/switch", body: { to: "{{to}}", incident: "{{incident}}" } }`,
    `status: { url: "${url}/status", versionPath: active.version, previousPath: previous }`,
  ]
    .map((line) => `${indent}${line}\n`)
    .join('');
}

beforeEach(async () => {
  router = await startRouter({ active: 'v2', previous: 'v1' });
  staging = await startRouter({ active: 'v2', previous: 'v1' });
  const yaml = runbookYaml('ranker').replace(/serving: .*\n/, `serving:\n${servingOn(router.url, '  ')}`);
  const drill = `drill:\n  schedule: quarterly\n  serving:\n${servingOn(staging.url, '    ')}`;
  env = { RUNBOOKS_DIR: await runbookDir({ 'ranker.yml': `${yaml}${drill}` }), USER: 'ana' };
});
afterEach(async () => {
  await router.close();
  await staging.close();
});

const WRITES = [
  ['rollback', 'ranker', '--reason', 'p99 doubled after v2'],
  ['drill', 'run', 'ranker'],
  ['resolve', 'INC-1', '--reason', 'fixed upstream'],
  ['dismiss', 'INC-1', '--reason', 'upstream outage', '--as', 'U0ANA'],
  ['note', 'INC-1', 'feature store stale'],
  ['gate', 'freeze', 'ranker', '--until', '2099-01-01T00:00:00Z', '--reason', 'year-end freeze'],
  ['gate', 'unfreeze', 'ranker'],
  ['deploy', 'record', 'ranker', 'v3', '--previous', 'v2'],
];

describe('the CLI without ROLLBOT_URL or REDIS_URL', () => {
  it.each(WRITES)('refuses %s … with the fix, changing nothing (exit 2)', async (...args) => {
    const { io, out, err } = capture();
    expect(await runCli(args, env, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /^error: neither ROLLBOT_URL nor REDIS_URL is set: .*in-memory store .*not shared with a running bot/,
    );
    expect(err[0]).toMatch(/\nfix: set ROLLBOT_URL \(and API_TOKEN\) .*, or REDIS_URL .*--in-memory/);
    // --dry-run is offered where the command has one.
    expect(err[0]?.includes('--dry-run')).toBe(args[0] === 'rollback' || args[0] === 'drill');
    expect(router.rollbacks).toEqual([]);
    expect(staging.rollbacks).toEqual([]);
  });

  it('plans a rollback with --dry-run, calling nothing that changes the layer', async () => {
    const { io, out } = capture();
    expect(await runCli(['rollback', 'ranker', '--reason', 'errors up', '--dry-run'], env, io)).toBe(0);
    expect(out.at(-1)).toBe(
      'dry run: would roll ranker back v2 → v1 (traffic-flip, ETA 30s); nothing was changed',
    );
    expect(router.rollbacks).toEqual([]);
  });

  it('rehearses a drill with --dry-run', async () => {
    const { io, out } = capture();
    expect(await runCli(['drill', 'run', 'ranker', '--dry-run'], env, io)).toBe(0);
    expect(out[0]).toMatch(/^DRILL PASSED for ranker \(INC-1, dry run/);
    expect(staging.rollbacks).toEqual([]);
  });

  it('reads, saying the store is empty', async () => {
    for (const args of [['incidents'], ['drill', 'list']]) {
      const { io, err } = capture();
      expect(await runCli(args, env, io), err.join('\n')).toBe(0);
      expect(err).toEqual([
        'note: neither ROLLBOT_URL nor REDIS_URL is set: running in-process on an empty in-memory store',
      ]);
    }
  });

  it('runs a write with --in-memory, saying that its store lasts for this command only', async () => {
    const { io, out, err } = capture();
    const args = ['rollback', 'ranker', '--in-memory', '--reason', 'trying rollbot out'];
    expect(await runCli(args, env, io)).toBe(0);
    expect(out.at(-1)).toMatch(/^rolled ranker back to v1 \(INC-1\)/);
    expect(err).toEqual([
      'note: --in-memory: running in-process on a store that lasts for this command only: nothing is shared with a running bot',
    ]);
    expect(router.rollbacks).toHaveLength(1);
  });

  it('takes --in-memory on every command that opens a store', async () => {
    const { io, out } = capture();
    expect(await runCli(['incidents', '--in-memory'], env, io)).toBe(0);
    expect(out).toEqual(['no incidents']);
    const noted = capture();
    expect(await runCli(['note', 'INC-1', 'stale', '--in-memory'], env, noted.io)).toBe(1);
    expect(noted.err.at(-1)).toMatch(/^error: no incident INC-1/);
  });

  it('refuses --in-memory beside REDIS_URL or ROLLBOT_URL rather than choose one', async () => {
    for (const [name, value] of [
      ['REDIS_URL', 'redis://127.0.0.1:1'],
      ['ROLLBOT_URL', 'http://127.0.0.1:1'],
    ] as const) {
      const { io, out, err } = capture();
      const args = ['rollback', 'ranker', '--reason', 'x', '--in-memory'];
      expect(await runCli(args, { ...env, [name]: value }, io)).toBe(2);
      expect(out).toEqual([]);
      expect(err[0]).toContain(
        `error: --in-memory asks for a store of this command's own, but ${name} is set`,
      );
    }
    expect(router.rollbacks).toEqual([]);
  });
});
