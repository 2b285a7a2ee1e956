/**
 * The CLI takes incident ids and model names in any case, as the API and Slack do (core/names.ts), in-process and
 * against a running bot alike: `rollbot timeline inc-1` is INC-1, `rollbot rollback Fraud-Scorer` is fraud-scorer.
 * And versions pasted with spaces around them as the API takes them: without.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { capture, useSeededRedis } from '../helpers/cli.js';
import type { TestDeps } from '../helpers/engine.js';
import { serveApp } from '../helpers/http.js';

// The CLI in-process opens its own store on REDIS_URL (prefix rollbot:); the bot serves the same store.
const seeded = useSeededRedis('');
let deps: TestDeps;
let server: Awaited<ReturnType<typeof serveApp>>;

beforeEach(async () => {
  deps = seeded.deps;
  server = await serveApp(deps);
});
afterEach(() => server.close());

const backends = () => [
  { name: 'in-process', env: { REDIS_URL: seeded.redis.url, RUNBOOKS_DIR: seeded.dir, USER: 'ana' } },
  { name: 'against a running bot', env: { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ana' } },
];

describe('rollbot with ids and model names in any case', () => {
  it('shows the timeline of inc-1 as INC-1 and notes on it', async () => {
    for (const { name, env } of backends()) {
      const shown = capture();
      expect(await runCli(['timeline', 'inc-1', '--format', 'json'], env, shown.io), name).toBe(0);
      expect(JSON.parse(shown.out.join('\n')).id, name).toBe('INC-1');
      const noted = capture();
      expect(await runCli(['note', 'Inc-1', 'checked', 'the', 'features'], env, noted.io), name).toBe(0);
      expect(noted.out, name).toEqual(['note added to the timeline of INC-1 by cli:ana']);
    }
  });

  it('prints the same timeline --format json in-process and against the bot', async () => {
    const printed = async (args: string[]) => {
      const outputs: string[] = [];
      for (const { name, env } of backends()) {
        const run = capture();
        expect(await runCli(args, env, run.io), `${name}: ${run.err.join('\n')}`).toBe(0);
        outputs.push(run.out.join('\n'));
      }
      return outputs;
    };
    // The running stage's clock is read at the command's time: in-process the real clock, the bot its test clock.
    const clockless = (text = '') =>
      JSON.parse(text, (key, value: unknown) =>
        key === 'elapsedMs' || key === 'remainingMs' ? undefined : value,
      ) as unknown;
    const [local, remote] = await printed(['timeline', 'INC-1', '--format', 'json']);
    expect(clockless(remote)).toEqual(clockless(local));
  });

  it('plans a rollback of Fraud-Scorer on the bot, naming the model as the runbook does', async () => {
    // Against the bot only: in-process the runbook's kserve layer would need a cluster.
    const [, { env }] = backends() as [unknown, { env: Record<string, string> }];
    const planned = capture();
    const args = ['rollback', 'Fraud-Scorer', '--reason', 'p99', '--dry-run'];
    expect(await runCli(args, env, planned.io), planned.err.join('\n')).toBe(0);
    expect(planned.out.at(-1)).toMatch(/^dry run: would roll fraud-scorer back v42 → v41 /);
  });

  it('records a deployment of Fraud-Scorer as fraud-scorer', async () => {
    for (const [i, { name, env }] of backends().entries()) {
      const recorded = capture();
      const args = ['deploy', 'record', 'Fraud-Scorer', `v4${i}`];
      expect(await runCli(args, env, recorded.io), `${name}: ${recorded.err.join('\n')}`).toBe(0);
      expect(recorded.out[0], name).toMatch(new RegExp(`^recorded fraud-scorer v4${i} \\(canary\\)`));
    }
    const ledger = await deps.store.deployments('fraud-scorer');
    expect(ledger.map((deployment) => deployment.version).sort()).toEqual(['v40', 'v41']);
  });
});

describe('rollbot deploy record with versions pasted with spaces around them', () => {
  it('records them without, on either backend, as the API does', async () => {
    for (const [i, { name, env }] of backends().entries()) {
      const recorded = capture();
      const args = ['deploy', 'record', 'fraud-scorer', ` v5${i} `, '--previous', `v4${i}\n`];
      expect(await runCli(args, env, recorded.io), `${name}: ${recorded.err.join('\n')}`).toBe(0);
    }
    const ledger = await deps.store.deployments('fraud-scorer');
    const versions = ledger.map(({ version, previousVersion }) => [version, previousVersion]);
    expect(versions.sort()).toEqual([
      ['v50', 'v40'],
      ['v51', 'v41'],
    ]);
  });
});
