/**
 * `rollbot incidents` listed the newest 100 and no more. `--limit` and `--before <id>` page through the whole record
 * as GET /api/incidents does, over the API and in-process alike: stdout stays the list (a table, or the JSON array),
 * and stderr names the command for the next page while there is one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import type { Incident } from '../../src/core/incident.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import type { Store } from '../../src/engine/ports.js';
import { firing } from '../helpers/alerts.js';
import { capture, useSeededRedis } from '../helpers/cli.js';
import { makeDeps } from '../helpers/engine.js';
import { serveApp } from '../helpers/http.js';
import { dismiss, makeIncident } from '../helpers/incidents.js';

/**
 * Eleven closed incidents of churn-predictor, INC-2 … INC-12, opened a second apart before `openedAt`, when INC-1
 * (fraud-scorer's, open) opened: the ids of all twelve, newest first.
 */
async function seedHistory(store: Store, openedAt: number): Promise<string[]> {
  const made: Incident[] = [];
  for (let n = 2; n <= 12; n += 1) {
    made.push(makeIncident({ id: `INC-${n}`, model: 'churn-predictor', at: openedAt - (14 - n) * 1_000 }));
  }
  for (const incident of made) {
    expect((await store.createIfNoneOpen(incident)).created).toBe(true);
    expect(await store.updateIncident(dismiss(incident))).toBeDefined();
  }
  return ['INC-1', ...made.map((incident) => incident.id).reverse()];
}

/** Runs `rollbot incidents --format json` with `args` page by page from the first, following stderr's next page. */
async function walk(
  env: Record<string, string>,
  args: string[],
): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let next: string[] | undefined = [];
  while (next !== undefined && pages.length < 20) {
    const { io, out, err } = capture();
    expect(await runCli(['incidents', ...args, ...next, '--format', 'json'], env, io)).toBe(0);
    const listed = JSON.parse(out.join('\n')) as { id: string }[];
    ids.push(...listed.map((incident) => incident.id));
    pages.push(listed.length);
    const more = /^next page: rollbot incidents .*--before (\S+)/.exec(err[0] ?? '');
    expect(err.length).toBeLessThanOrEqual(1);
    next = more ? ['--before', more[1] ?? ''] : undefined;
  }
  return { ids, pages };
}

describe('rollbot incidents page by page against a running bot', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function bot(): Promise<{ env: Record<string, string>; expected: string[] }> {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const expected = await seedHistory(deps.store, deps.clock.now());
    const server = await serveApp(deps);
    close = server.close;
    return { env: { ROLLBOT_URL: server.url, API_TOKEN: 'api-t' }, expected };
  }

  it('walks every incident once, newest first, with --limit and the --before stderr names', async () => {
    const { env, expected } = await bot();
    expect(await walk(env, ['--limit', '5'])).toEqual({ ids: expected, pages: [5, 5, 2] });
    // A last page that is full says nothing more.
    expect(await walk(env, ['--limit', '6'])).toEqual({ ids: expected, pages: [6, 6] });
  });

  it('names the next page after the table too, keeping --open and --limit', async () => {
    const { env, expected } = await bot();
    const { io, out, err } = capture();
    expect(await runCli(['incidents', '--limit', '3'], env, io)).toBe(0);
    expect((out[0] ?? '').split('\n')).toHaveLength(4);
    expect(err).toEqual([`next page: rollbot incidents --limit 3 --before ${expected[2]}`]);
    const open = capture();
    expect(await runCli(['incidents', '--open', '--limit', '1'], env, open.io)).toBe(0);
    expect(open.err).toEqual([]);
  });

  it('refuses a bad --limit or --before with the usage, and an unknown id with what to give', async () => {
    const { env } = await bot();
    for (const [args, error] of [
      [
        ['--limit', '0'],
        /^error: --limit must be a whole number from 1 to 1000, got "0"\n {4}usage: rollbot incidents /,
      ],
      [['--limit', '1e2'], /^error: --limit must be a whole number from 1 to 1000, got "1e2"\n/],
      [['--limit', '1001'], /^error: --limit must be a whole number from 1 to 1000, got "1001"\n/],
      [['--before', ' '], /^error: --before is empty\n {4}usage: rollbot incidents /],
    ] as const) {
      const { io, out, err } = capture();
      expect(await runCli(['incidents', ...args], env, io), args.join(' ')).toBe(2);
      expect(out).toEqual([]);
      expect(err[0]).toMatch(error);
    }
    const unknown = capture();
    expect(await runCli(['incidents', '--before', 'INC-99'], env, unknown.io)).toBe(2);
    expect(unknown.err[0]).toMatch(/^error: before must be the id of an incident, like INC-42, got "INC-99"/);
  });
});

describe('rollbot incidents page by page in-process, on Redis', () => {
  // The CLI opens its own store on REDIS_URL: `seeded.deps`, on the same keys, has opened INC-1 for fraud-scorer.
  const seeded = useSeededRedis('');
  let env: Record<string, string>;
  let expected: string[];
  beforeEach(async () => {
    env = { REDIS_URL: seeded.redis.url, RUNBOOKS_DIR: seeded.dir };
    expected = await seedHistory(seeded.deps.store, seeded.deps.clock.now());
  });

  it('walks every incident once, newest first, as over the API', async () => {
    expect(await walk(env, ['--limit', '5'])).toEqual({ ids: expected, pages: [5, 5, 2] });
    expect(await walk(env, ['--limit', '12'])).toEqual({ ids: expected, pages: [12] });
  });

  it('refuses an id no incident has, naming --before', async () => {
    const { io, out, err } = capture();
    expect(await runCli(['incidents', '--before', 'INC-99'], env, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/^error: --before must be the id of an incident, like INC-42, got "INC-99"/);
  });
});
