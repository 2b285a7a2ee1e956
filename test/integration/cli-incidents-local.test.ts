/**
 * `rollbot incidents` in-process (REDIS_URL) passed `--open`'s default, false, as a filter: it listed closed
 * incidents only, and printed "no incidents" while one was open, where the same command over the API (which sends
 * `open=true` or nothing) listed every incident. Without `--open` it lists every incident on both backends.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { resolve } from '../../src/engine/resolve.js';
import { capture, useSeededRedis } from '../helpers/cli.js';

describe('rollbot incidents in-process, on Redis', () => {
  // The CLI opens its own store on REDIS_URL: `seeded.deps`, on the same keys, has opened INC-1 for fraud-scorer.
  const seeded = useSeededRedis('');
  let env: Record<string, string>;
  beforeEach(() => {
    env = { REDIS_URL: seeded.redis.url, RUNBOOKS_DIR: seeded.dir };
  });

  const listed = async (args: string[]) => {
    const { io, out, err } = capture();
    expect(await runCli(['incidents', ...args, '--format', 'json'], env, io)).toBe(0);
    expect(err).toEqual([]);
    return (JSON.parse(out.join('\n')) as { id: string; open: boolean }[]).map(({ id, open }) => ({
      id,
      open,
    }));
  };

  it('lists the open incident without --open too, and only the open ones with it', async () => {
    expect(await listed([])).toEqual([{ id: 'INC-1', open: true }]);
    expect(await listed(['--open'])).toEqual([{ id: 'INC-1', open: true }]);
    await resolve(seeded.deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
    expect(await listed([])).toEqual([{ id: 'INC-1', open: false }]);
    expect(await listed(['--open'])).toEqual([]);
  });
});
