import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { runbookDir } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';
import { startRedis, type RedisProcess } from '../helpers/redis-server.js';
import { startRouter, type FakeRouter } from '../helpers/router.js';

let redis: RedisProcess;
let router: FakeRouter;
let dir: string;

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs the real CLI (`src/cli.ts`) as its own process and collects what it printed: for what is about processes
 * (two operators' commands, each with its own connection to Redis). Each start loads tsx, seconds on a loaded
 * machine, so the other commands run `runCli` in this process, on the same Redis, as cli.test.ts does.
 */
function cliProcess(args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: new URL('../../', import.meta.url),
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** One CLI command in this process, its output as the process would have printed it (a line per call). */
async function cli(args: string[], env: Record<string, string>): Promise<Ran> {
  let out = '';
  let err = '';
  const io = { out: (text: string) => (out += `${text}\n`), err: (text: string) => (err += `${text}\n`) };
  const code = await runCli(args, env, io);
  return { code, out, err };
}

beforeAll(async () => {
  redis = await startRedis();
  router = await startRouter({ active: 'v2', previous: 'v1', switchDelayMs: 1_500 });
  const serving = [
    'serving:',
    '  adapter: http',
    `  rollback: { method: POST, url: "${router.url}/switch", body: { to: "{{to}}", incident: "{{incident}}" } }`,
    `  status: { url: "${router.url}/status", versionPath: active.version, previousPath: previous }`,
  ].join('\n');
  dir = await runbookDir({ 'ranker.yml': runbookYaml('ranker').replace(/serving: .*\n/, `${serving}\n`) });
});
afterAll(async () => {
  await router.close();
  await redis.stop();
});

describe('rollbot rollback through the http adapter, two processes on one Redis', () => {
  it('plans without a call on --dry-run', async () => {
    const result = await cli(['rollback', 'ranker', '--reason', 'errors up', '--dry-run'], {
      REDIS_URL: redis.url,
      RUNBOOKS_DIR: dir,
    });
    expect(result.code).toBe(0);
    expect(result.out).toContain('plan: v2 → v1, traffic-flip');
    expect(result.out).toContain(
      'dry run: would roll ranker back v2 → v1 (traffic-flip, ETA 30s); nothing was changed',
    );
    expect(router.rollbacks).toEqual([]);
  });

  it('executes exactly once when two operators run it at the same moment', async () => {
    const env = { REDIS_URL: redis.url, RUNBOOKS_DIR: dir };
    const [first, second] = await Promise.all([
      cliProcess(['rollback', 'ranker', '--reason', 'p99 doubled after v2'], { ...env, USER: 'ana' }),
      cliProcess(['rollback', 'ranker', '--reason', 'errors up'], { ...env, USER: 'bo' }),
    ]);
    const results = [first, second];
    const winner = results.find((result) => result.code === 0);
    const loser = results.find((result) => result.code !== 0);
    expect(winner?.out).toMatch(/\[\d\d:\d\d:\d\d\] state +http 127\.0\.0\.1:\d+: /);
    expect(winner?.out).toMatch(/\] plan +plan: v2 → v1, traffic-flip, ETA 30s/);
    expect(winner?.out).toMatch(/\] on-target +traffic is on v1 after/);
    expect(winner?.out).toContain('rolled ranker back to v1 (INC-1); confirmation is running');
    expect(loser?.code).toBe(1);
    // Refused either while the first runs or, should it start after the first ended (a loaded machine), as a
    // roll-forward onto the version just rolled back from: either way never a second rollback call.
    expect(loser?.err).toMatch(
      /error: (rollback of ranker by cli:(ana|bo) via cli in progress since \d{4}-|ranker was rolled back from v2 in INC-1 at \d{4}-.*; rollbot will not roll it forward onto v2)/,
    );

    expect(router.rollbacks).toHaveLength(1);
    expect(router.rollbacks[0]).toEqual({
      body: { to: 'v1', incident: 'INC-1' },
      idempotencyKey: 'INC-1:rollback:1',
    });
    expect(router.active).toBe('v1');

    const listed = await cli(['incidents', '--open'], env);
    expect(listed.out).toMatch(/INC-1\s+ranker\s+SEV-3\s+confirm\s+confirm \d+s? ?\d*m?s? \/ 15m/);
  });

  it('refuses a rollback --from a version that no longer serves, as a retried command would be', async () => {
    const env = { REDIS_URL: redis.url, RUNBOOKS_DIR: dir };
    const retried = await cli(
      ['rollback', 'ranker', '--from', 'v2', '--reason', 'p99 doubled after v2'],
      env,
    );
    expect(retried.code).toBe(1);
    expect(retried.err).toContain('error: ranker serves v1 now, not v2 as when this rollback was asked for');
    expect(router.rollbacks).toHaveLength(1);
  });

  it('refuses a second rollback that would put traffic back on v2, and records a deployment', async () => {
    const env = { REDIS_URL: redis.url, RUNBOOKS_DIR: dir };
    const again = await cli(['rollback', 'ranker', '--reason', 'again'], env);
    expect(again.code).toBe(1);
    expect(again.err).toContain('ranker was rolled back from v2 in INC-1');
    expect(router.rollbacks).toHaveLength(1);

    const deploy = await cli(['deploy', 'record', 'ranker', 'v3', '--previous', 'v1'], {
      ...env,
      USER: 'ci',
    });
    expect(deploy.code).toBe(0);
    expect(deploy.out).toMatch(/^recorded ranker v3 \(canary\) at /);
    expect(deploy.out).toContain('gate: closed — open incident INC-1 (confirm)');

    const canary = await cli(['deploy', 'record', 'ranker', 'v4', '--traffic', 'lots'], env);
    expect(canary.code).not.toBe(0);
    expect(canary.err).toContain('--traffic "lots" is not a percentage');
    expect((await cli(['deploy', 'record', 'ranker', 'v4', '--traffic', '10'], env)).code).toBe(0);
  });
});
