import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { firing } from '../helpers/alerts.js';
import { runbookDir } from '../helpers/bot-process.js';
import { makeDeps, runbookYaml } from '../helpers/engine.js';
import { serveApp } from '../helpers/http.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) }, out, err };
}

describe('rollbot validate', () => {
  it('passes the example runbooks', async () => {
    const { io, out } = capture();
    expect(await runCli(['validate', 'runbooks'], {}, io)).toBe(0);
    expect(out).toEqual(['3 runbooks OK in runbooks: churn-predictor, fraud-scorer, search-ranker']);
  });

  it('prints file: path: problem (did you mean …?) for every problem and exits 1', async () => {
    const dir = await runbookDir({
      'm1.yml': runbookYaml('m1', 'rollback: { polcy: auto }'),
      'm2.yml': runbookYaml('m2').replace('kserve', 'kserv'),
    });
    const { io, err } = capture();
    expect(await runCli(['validate', dir], {}, io)).toBe(1);
    expect(err).toEqual([
      `${dir}/m1.yml:7: rollback.polcy: unknown field "polcy" (did you mean "policy"?)`,
      `${dir}/m2.yml:5: serving.adapter: "kserv" is not allowed: expected one of "kserve", "argo-rollouts", "sagemaker", "mlflow", "http", "command" (did you mean "kserve"?)`,
      `2 problems in ${dir}`,
    ]);
  });

  it('uses RUNBOOKS_DIR when no folder is given', async () => {
    const dir = await runbookDir({ 'm1.yml': runbookYaml('m1') });
    const { io, out } = capture();
    expect(await runCli(['validate'], { RUNBOOKS_DIR: dir }, io)).toBe(0);
    expect(out[0]).toBe(`1 runbook OK in ${dir}: m1`);
  });
});

describe('rollbot incidents and timeline against a running bot', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function bot() {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    deps.clock.advance(2 * 60_000);
    const server = await serveApp(deps);
    close = server.close;
    return { ROLLBOT_URL: server.url };
  }

  it('lists incidents with their stage clock', async () => {
    const env = await bot();
    const { io, out } = capture();
    expect(await runCli(['incidents', '--open'], env, io)).toBe(0);
    const [header, row] = (out[0] ?? '').split('\n');
    expect(header).toMatch(/^ID\s+MODEL\s+SEV\s+PHASE\s+STAGE CLOCK\s+MISSED\s+OPENED$/);
    expect(row).toMatch(
      /^INC-1\s+fraud-scorer\s+SEV-1\s+triage\s+triage 2m \/ 10m\s+—\s+2026-11-22T02:00:00.000Z$/,
    );
  });

  it('exports the timeline as Markdown and JSON', async () => {
    const env = await bot();
    const md = capture();
    expect(await runCli(['timeline', 'INC-1'], env, md.io)).toBe(0);
    expect(md.out[0]).toContain('# INC-1: fraud-scorer');
    expect(md.out[0]).toContain('| triage | running | 2m | 10m | running |');
    expect(md.out[0]).toMatch(/\*\*incident\.opened\*\* \(rollbot\): SEV-1 incident opened for fraud-scorer/);

    const json = capture();
    expect(await runCli(['timeline', 'INC-1', '--format', 'json'], env, json.io)).toBe(0);
    expect(JSON.parse(json.out[0] ?? '')).toMatchObject({
      id: 'INC-1',
      timeline: [{ seq: 1, type: 'incident.opened' }],
    });
  });

  it('resolves an incident by hand', async () => {
    const env = await bot();
    const { io, out, err } = capture();
    expect(
      await runCli(
        ['resolve', 'INC-1', '--reason', 'false alarm, fixed upstream'],
        { ...env, USER: 'ana', API_TOKEN: 'api-t' },
        io,
      ),
    ).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toBe('INC-1 resolved (resolved); the retrospective is due in 2d');
    const usage = capture();
    expect(await runCli(['resolve', 'INC-1'], env, usage.io)).toBe(2);
    expect(usage.err[0]).toContain('usage: rollbot resolve <id> --reason');
  });

  it('reports an unknown incident, a bad format and an unreachable bot clearly', async () => {
    const env = await bot();
    const missing = capture();
    expect(await runCli(['timeline', 'INC-9'], env, missing.io)).toBe(1);
    expect(missing.err[0]).toBe(
      'error: no incident INC-9\nfix: list incidents with GET /api/incidents or `rollbot incidents`',
    );

    const format = capture();
    expect(await runCli(['timeline', 'INC-1', '--format', 'pdf'], env, format.io)).toBe(2);
    expect(format.err[0]).toContain('usage: rollbot timeline <id> [--format md|json]');

    const down = capture();
    expect(await runCli(['incidents'], { ROLLBOT_URL: 'http://127.0.0.1:1' }, down.io)).toBe(1);
    expect(down.err[0]).toContain('cannot reach rollbot at http://127.0.0.1:1');
  });

  it('explains unknown commands and options', async () => {
    const unknown = capture();
    expect(await runCli(['rolback'], {}, unknown.io)).toBe(2);
    expect(unknown.err[0]).toContain('unknown command "rolback"');
    const option = capture();
    expect(await runCli(['incidents', '--opne'], {}, option.io)).toBe(2);
    expect(option.err[0]).toContain("Unknown option '--opne'");
  });
});
