import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { firing } from '../helpers/alerts.js';
import { capture } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { runbookDir } from '../helpers/bot-process.js';
import { makeDeps, makeRunbook, runbookYaml } from '../helpers/engine.js';
import { permanent } from '../helpers/fake-serving.js';
import { appOn, serve, serveApp } from '../helpers/http.js';

/** A kubeconfig in `dir` for the kserve runbooks: validate warns of missing Kubernetes credentials too. */
async function kubeconfigIn(dir: string): Promise<string> {
  const file = join(dir, 'kubeconfig');
  await writeFile(
    file,
    'current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: "https://k8s.example:6443"}}]\n',
  );
  return file;
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
      `${dir}/m2.yml:5: serving.adapter: "kserv" is not allowed: expected one of "kserve", "argo-rollouts", "sagemaker", "vertex", "mlflow", "http", "command" (did you mean "kserve"?)`,
      `2 problems in ${dir}`,
    ]);
  });

  it('warns of a drill schedule of six fields, whose first is read as seconds, and still passes it', async () => {
    const dir = await runbookDir({
      'm1.yml': runbookYaml('m1', 'drill: { schedule: "0 10 15 1,4,7,10 * *", dryRun: true }'),
    });
    const { io, out, err } = capture();
    expect(await runCli(['validate', dir], { KUBECONFIG: await kubeconfigIn(dir) }, io)).toBe(0);
    expect(err).toEqual([
      `warning: ${dir}/m1.yml: drill.schedule "0 10 15 1,4,7,10 * *" has six fields, and the first is read as seconds: it drills at second 0, minute 10, hour 15, day of month 1,4,7,10, month *, day of week *. For minute hour day-of-month month day-of-week, write five fields (quarterly: "0 10 15 1,4,7,10 *").`,
    ]);
    expect(out[0]).toBe(`1 runbook OK in ${dir}: m1`);
  });

  it('uses RUNBOOKS_DIR when no folder is given', async () => {
    const dir = await runbookDir({ 'm1.yml': runbookYaml('m1') });
    const { io, out } = capture();
    expect(await runCli(['validate'], { RUNBOOKS_DIR: dir }, io)).toBe(0);
    expect(out[0]).toBe(`1 runbook OK in ${dir}: m1`);
  });

  it('refuses an empty folder (an unset shell variable) rather than read a folder named ""', async () => {
    const dir = await runbookDir({ 'm1.yml': runbookYaml('m1') });
    for (const empty of ['', ' ']) {
      const { io, out, err } = capture();
      expect(await runCli(['validate', empty], { RUNBOOKS_DIR: dir }, io)).toBe(2);
      expect(out).toEqual([]);
      expect(err).toEqual([
        'error: the folder name is empty\n    usage: rollbot validate [dir]\n' +
          'fix: give the runbooks folder, or leave it out to use RUNBOOKS_DIR (or ./runbooks)',
      ]);
    }
  });

  it('prints its usage for --help, rather than read a folder named "--help"', async () => {
    const { io, out, err } = capture();
    expect(await runCli(['validate', '--help'], {}, io)).toBe(0);
    expect(out).toEqual(['usage: rollbot validate [dir]']);
    expect(err).toEqual([]);
  });

  it('refuses an unknown option with the usage, and reads no folder', async () => {
    const dir = await runbookDir({ 'm1.yml': runbookYaml('m1') });
    const { io, out, err } = capture();
    expect(await runCli(['validate', '--strict', dir], {}, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual(['error: unknown option --strict\n    usage: rollbot validate [dir]']);
  });

  it('refuses more than one folder rather than check the first and ignore the rest', async () => {
    const dir = await runbookDir({ 'm1.yml': runbookYaml('m1') });
    const { io, out, err } = capture();
    expect(await runCli(['validate', dir, 'other-runbooks'], {}, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `error: validate checks one folder, got 2: "${dir}" "other-runbooks"\n    usage: rollbot validate [dir]\n` +
        'fix: give one runbooks folder (quote a path with spaces in it), or none to use RUNBOOKS_DIR (or ./runbooks)',
    ]);
  });

  it('tells a folder given on the command line that cannot be read to fix that path, not RUNBOOKS_DIR', async () => {
    const dir = await runbookDir({ 'm1.yml': runbookYaml('m1') });
    const missing = capture();
    expect(await runCli(['validate', join(dir, 'nope')], {}, missing.io)).toBe(1);
    expect(missing.err[0]).toMatch(
      new RegExp(`^${join(dir, 'nope')}: cannot read the runbooks folder \\(ENOENT`),
    );
    expect(missing.err[0]).toContain('check the folder given to rollbot validate');
    expect(missing.err[0]).not.toContain('set RUNBOOKS_DIR');

    // One runbook file given, as a newcomer might: validate reads a folder, the one holding the file.
    const file = capture();
    expect(await runCli(['validate', join(dir, 'm1.yml')], {}, file.io)).toBe(1);
    expect(file.err[0]).toBe(
      `${join(dir, 'm1.yml')}: a file, not a folder: runbooks are read from a folder of <model>.yml files; ` +
        `give the folder that holds it (rollbot validate ${dir})`,
    );

    // Named by RUNBOOKS_DIR, as the bot reads it: that is what to change.
    const fromEnv = capture();
    expect(await runCli(['validate'], { RUNBOOKS_DIR: join(dir, 'm1.yml') }, fromEnv.io)).toBe(1);
    expect(fromEnv.err[0]).toContain(`set RUNBOOKS_DIR to the folder that holds it (${dir})`);
  });

  it('warns of each variable the runbooks need that is unset here, naming file and field, and exits 0', async () => {
    const checks = 'triage: { checks: [{ name: errors, kind: error, query: "sum(x)", max: 0.1 }] }';
    const http = [
      'serving:',
      '  adapter: http',
      '  env: [ROUTER_TOKEN, ROUTER_URL]',
      '  rollback: { method: POST, url: "{{env.ROUTER_URL}}/switch", headers: { authorization: "Bearer {{env.ROUTER_TOKEN}}" }, body: { to: "{{to}}" } }',
    ].join('\n');
    const mlflow =
      'serving: { adapter: mlflow, trackingUri: "https://mlflow.example.com", registeredModel: m3, tokenEnv: MLFLOW_TOKEN }';
    const dir = await runbookDir({
      'm1.yml': runbookYaml('m1', 'paging: { provider: pagerduty, routingKeyEnv: M1_PD_KEY }'),
      'm2.yml': runbookYaml('m2', `${checks}\nalerts: { match: { model: m2 } }`).replace(
        /serving: .*\n/,
        `${http}\n`,
      ),
      'm3.yml': runbookYaml(
        'm3',
        `drill: { schedule: quarterly, serving: { adapter: mlflow, trackingUri: "https://mlflow.example.com", registeredModel: m3-staging, tokenEnv: MLFLOW_STAGING_TOKEN } }`,
      ).replace(/serving: .*\n/, `${mlflow}\n`),
    });
    // ROUTER_URL is set; a blank M1_PD_KEY is as good as unset (the bot refuses it too). m1's kserve finds its
    // Kubernetes credentials (cli-validate-env.test.ts warns of them).
    const env = {
      RUNBOOKS_DIR: dir,
      ROUTER_URL: 'https://router.internal',
      M1_PD_KEY: ' ',
      KUBECONFIG: await kubeconfigIn(dir),
    };
    const { io, out, err } = capture();
    expect(await runCli(['validate'], env, io)).toBe(0);
    expect(out).toEqual([`3 runbooks OK in ${dir}: m1, m2, m3`]);
    expect(err).toEqual([
      `warning: ${dir}/m1.yml: paging.routingKeyEnv: M1_PD_KEY is empty here: the bot refuses to start without it`,
      `warning: ${dir}/m2.yml: triage.checks: PROMETHEUS_URL is not set here: the bot starts, but nothing measures these checks (a person decides every incident)`,
      `warning: ${dir}/m2.yml: serving.env: ROUTER_TOKEN is not set here: rollbacks through this serving layer fail without it`,
      `warning: ${dir}/m3.yml: serving.tokenEnv: MLFLOW_TOKEN is not set here: rollbacks through this serving layer fail without it`,
      `warning: ${dir}/m3.yml: drill.serving.tokenEnv: MLFLOW_STAGING_TOKEN is not set here: drills through this serving layer fail without it`,
    ]);

    const set = capture();
    const all = {
      ...env,
      M1_PD_KEY: 'R0utingKey0f32CharactersExactly0',
      PROMETHEUS_URL: 'http://prom:9090',
      ROUTER_TOKEN: 't',
      MLFLOW_TOKEN: 't',
      MLFLOW_STAGING_TOKEN: 't',
    };
    expect(await runCli(['validate'], all, set.io)).toBe(0);
    expect(set.err).toEqual([]);

    // A key of a form PagerDuty refuses (a 20-character REST API key) stops the bot's start: said here too.
    const malformed = capture();
    expect(await runCli(['validate'], { ...all, M1_PD_KEY: 'u+AbCdEfGhIjKlMnOpQr' }, malformed.io)).toBe(0);
    expect(malformed.err).toEqual([
      `warning: ${dir}/m1.yml: paging.routingKeyEnv: M1_PD_KEY is 20 characters long: PagerDuty refuses every routing key but a 32-character one (HTTP 400), so nobody would be paged; the bot refuses to start with it (fix: set M1_PD_KEY to the Integration Key of an Events API v2 integration on the PagerDuty service (a REST API key is not one))`,
    ]);
    expect(malformed.err.join('')).not.toContain('u+AbCdEfGhIjKlMnOpQr');
  });

  it('keeps problems as errors (exit 1) beside the warnings', async () => {
    const dir = await runbookDir({
      'm1.yml': runbookYaml('m1', 'paging: { provider: opsgenie, apiKeyEnv: M1_OG_KEY }'),
      'm2.yml': runbookYaml('m2', 'rollback: { polcy: auto }'),
    });
    const { io, err } = capture();
    expect(await runCli(['validate', dir], { KUBECONFIG: await kubeconfigIn(dir) }, io)).toBe(1);
    expect(err).toEqual([
      `${dir}/m2.yml:7: rollback.polcy: unknown field "polcy" (did you mean "policy"?)`,
      `warning: ${dir}/m1.yml: paging.apiKeyEnv: M1_OG_KEY is not set here: the bot refuses to start without it`,
      `1 problem in ${dir}`,
    ]);
  });

  it('takes an empty RUNBOOKS_DIR as unset, as the bot does', async () => {
    const { io, out } = capture();
    expect(await runCli(['validate'], { RUNBOOKS_DIR: '' }, io)).toBe(0);
    expect(out).toEqual(['3 runbooks OK in ./runbooks: churn-predictor, fraud-scorer, search-ranker']);
  });
});

describe('rollbot help', () => {
  it("lists each command as the command's own usage error gives it", async () => {
    const help = capture();
    expect(await runCli(['help'], {}, help.io)).toBe(0);
    const helpLines = (help.out[0] ?? '').split('\n').map((line) => line.trim());
    for (const misuse of [
      ['validate', ''],
      ['timeline'],
      ['rollback'],
      ['resolve'],
      ['dismiss'],
      ['drill'],
      ['deploy'],
    ]) {
      const { io, err } = capture();
      expect(await runCli(misuse, {}, io)).toBe(2);
      // `usage: rollbot drill run <model> [--dry-run] | rollbot drill list`: one synopsis per form.
      const synopses = (/usage: rollbot (.*)/.exec(err[0] ?? '')?.[1] ?? '').split(' | rollbot ');
      expect(synopses[0]).not.toBe('');
      for (const synopsis of synopses) {
        const listed = helpLines.some((line) => line === synopsis || line.startsWith(`${synopsis}  `));
        expect(listed, `"${synopsis}" in rollbot help:\n${help.out[0]}`).toBe(true);
      }
    }
  });
});

describe('rollbot help on exit codes', () => {
  it('says what each exit code means, as scripts branch on them', async () => {
    const help = capture();
    expect(await runCli(['help'], {}, help.io)).toBe(0);
    expect(help.out[0]).toContain(
      'Exit codes: 0 done; 1 failed or refused (a failed rollback or drill, a refusal, the bot or Redis unreachable);\n' +
        '2 usage error (a missing or bad argument or option), nothing done.',
    );
  });
});

describe('rollbot <command> --help', () => {
  // Asked for anywhere among the options, alongside arguments or none, with or without a bot to ask.
  it.each([
    [['rollback', '--help'], 'rollbot rollback <model> [--to <version>]'],
    [['rollback', 'fraud-scorer', '--reason', 'errors up', '-h'], 'rollbot rollback <model>'],
    [['resolve', '-h'], 'rollbot resolve <id> --reason'],
    [['dismiss', 'INC-1', '--help'], 'rollbot dismiss <id> --reason'],
    [['note', 'INC-1', '--help', 'some', 'words'], 'rollbot note <id> <text…>'],
    [['incidents', '-h'], 'rollbot incidents [--open] [--limit <n>] [--before <id>] [--format table|json]'],
    [['timeline', '--help'], 'rollbot timeline <id>'],
    [['gate', '--help'], 'rollbot gate freeze <model|--all>'],
    [['gate', 'freeze', 'fraud-scorer', '-h'], 'rollbot gate unfreeze <model|--all>'],
    [['drill', 'run', '--help'], 'rollbot drill list'],
    [['deploy', 'record', 'fraud-scorer', 'v43', '-h'], 'rollbot deploy record <model> <version>'],
    [['validate', '-h'], 'rollbot validate [dir]'],
  ])('%j prints the usage to stdout and exits 0', async (args, synopsis) => {
    const { io, out, err } = capture();
    expect(await runCli(args, {}, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^usage: rollbot /);
    expect(out[0]).toContain(synopsis);
  });

  it('prints every command for rollbot -h, as for --help', async () => {
    for (const flag of ['-h', '--help']) {
      const { io, out, err } = capture();
      expect(await runCli([flag], {}, io)).toBe(0);
      expect(err).toEqual([]);
      expect(out[0]).toMatch(/^usage: rollbot <command>\n/);
    }
  });

  it('reads -h after -- as a word, not as a request for help', async () => {
    const { io, out, err } = capture();
    expect(await runCli(['resolve', '--reason', 'x', '--', '-h', 'INC-1'], {}, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toContain('resolve takes one incident, got "-h" "INC-1"');
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
    // A bot with API_TOKEN takes reads with it too.
    return { ROLLBOT_URL: server.url, API_TOKEN: 'api-t' };
  }

  it('prints the incidents as the API answers them with --format json, for scripts', async () => {
    const env = await bot();
    const { io, out } = capture();
    expect(await runCli(['incidents', '--open', '--format', 'json'], env, io)).toBe(0);
    const listed = JSON.parse(out.join('\n')) as { id: string; model: string; phase: string }[];
    expect(listed).toEqual([
      expect.objectContaining({ id: 'INC-1', model: 'fraud-scorer', phase: 'triage' }),
    ]);
    const bad = capture();
    expect(await runCli(['incidents', '--format', 'yaml'], env, bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(
      /^error: --format "yaml" is not a format of incidents\n {4}usage: rollbot incidents /,
    );
  });

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
    expect(out[0]).toBe('INC-1 resolved; the retrospective is due in 2d');
    const usage = capture();
    expect(await runCli(['resolve', 'INC-1'], env, usage.io)).toBe(2);
    expect(usage.err[0]).toContain('usage: rollbot resolve <id> --reason');
  });

  it('refuses words left over from an unquoted --reason rather than resolve with the first word only', async () => {
    const env = { ...(await bot()), USER: 'ana', API_TOKEN: 'api-t' };
    const resolve = capture();
    // The shell splits an unquoted reason: --reason takes "false", and "alarm" is left over.
    expect(await runCli(['resolve', 'INC-1', '--reason', 'false', 'alarm'], env, resolve.io)).toBe(2);
    expect(resolve.err[0]).toBe(
      'error: resolve takes one incident, got "INC-1" "alarm"\n    usage: rollbot resolve <id> --reason "…"\nfix: quote the reason (--reason "false alarm, fixed upstream")',
    );
    const open = capture();
    expect(await runCli(['incidents', '--open'], env, open.io)).toBe(0);
    expect(open.out[0]).toContain('INC-1');

    const timeline = capture();
    expect(await runCli(['timeline', 'INC-1', 'INC-2'], env, timeline.io)).toBe(2);
    expect(timeline.err[0]).toBe(
      'error: timeline takes one incident, got "INC-1" "INC-2"\n    usage: rollbot timeline <id> [--format md|json]\n' +
        'fix: run it once for each incident',
    );
    const drill = capture();
    expect(await runCli(['drill', 'run', 'fraud-scorer', 'search-ranker'], env, drill.io)).toBe(2);
    expect(drill.err[0]).toBe(
      'error: drill run takes one model, got "fraud-scorer" "search-ranker"\n' +
        '    usage: rollbot drill run <model> [--dry-run] | rollbot drill list [--format table|json]\n' +
        'fix: run one drill at a time',
    );
  });

  it('reports an unknown incident, a bad format and an unreachable bot clearly', async () => {
    const env = await bot();
    const missing = capture();
    expect(await runCli(['timeline', 'INC-9'], env, missing.io)).toBe(1);
    expect(missing.err[0]).toBe(
      'error: no incident INC-9\nfix: list incidents with `/incident list`, `rollbot incidents` or GET /api/incidents',
    );

    const format = capture();
    expect(await runCli(['timeline', 'INC-1', '--format', 'pdf'], env, format.io)).toBe(2);
    expect(format.err[0]).toBe(
      'error: --format "pdf" is not a format of the timeline\n    usage: rollbot timeline <id> [--format md|json]\n' +
        'fix: write md (the retrospective skeleton, the default) or json',
    );

    const down = capture();
    expect(await runCli(['incidents'], { ROLLBOT_URL: 'http://127.0.0.1:1' }, down.io)).toBe(1);
    expect(down.err[0]).toContain('cannot reach rollbot at http://127.0.0.1:1');
  });

  it('explains unknown commands and options', async () => {
    const unknown = capture();
    expect(await runCli(['rolback'], {}, unknown.io)).toBe(2);
    expect(unknown.err[0]).toContain('unknown command "rolback" (did you mean rollback?)');
    const plural = capture();
    expect(await runCli(['drills'], {}, plural.io)).toBe(2);
    expect(plural.err[0]).toContain('unknown command "drills" (did you mean drill?)');
    const far = capture();
    expect(await runCli(['deploy-everything'], {}, far.io)).toBe(2);
    expect(far.err[0]).toMatch(/^unknown command "deploy-everything"\n/);
    const option = capture();
    expect(await runCli(['incidents', '--opne'], {}, option.io)).toBe(2);
    expect(option.err[0]).toContain('unknown option --opne (did you mean --open?)');
  });

  it("answers a mistyped option with the likely one and that command's usage, not every command's", async () => {
    const typo = capture();
    expect(await runCli(['rollback', 'fraud-scorer', '--reasn', 'p99 doubled'], {}, typo.io)).toBe(2);
    expect(typo.err).toEqual([
      'error: unknown option --reasn (did you mean --reason?)\n' +
        '    usage: rollbot rollback <model> [--to <version>] [--from <version>] --reason "…" [--dry-run]',
    ]);
    // --in-memory is an option of every command that opens a store, though no synopsis lists it.
    const memory = capture();
    expect(await runCli(['deploy', 'record', 'm', 'v2', '--in-memroy'], {}, memory.io)).toBe(2);
    expect(memory.err[0]).toContain('unknown option --in-memroy (did you mean --in-memory?)');

    // A value left out, or a word too many: what is wrong, then the command's own usage.
    const missing = capture();
    expect(await runCli(['timeline', 'INC-1', '--format'], {}, missing.io)).toBe(2);
    expect(missing.err).toEqual([
      "error: Option '--format <value>' argument missing\n    usage: rollbot timeline <id> [--format md|json]",
    ]);
    const extra = capture();
    expect(await runCli(['incidents', 'open'], {}, extra.io)).toBe(2);
    expect(extra.err[0]).toMatch(
      /^error: Unexpected argument 'open'.*\n {4}usage: rollbot incidents \[--open\] \[--limit <n>\] \[--before <id>\] \[--format table\|json\]$/,
    );
  });
});

describe('rollbot against a bot behind a reverse proxy at a path prefix', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  /** As nginx's `location /rollbot/ { proxy_pass http://bot/; }`: only paths under the prefix reach the bot. */
  async function proxiedBot() {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const app = appOn(deps);
    const seen: string[] = [];
    const proxy = await serve((req, res) => {
      const url = req.url ?? '/';
      seen.push(url);
      if (!url.startsWith('/rollbot/')) {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<html><body><h1>404 Not Found</h1></body></html>');
        return;
      }
      req.url = url.slice('/rollbot'.length);
      app(req, res);
    });
    close = proxy.close;
    return { url: proxy.url, seen };
  }

  it.each(['/rollbot', '/rollbot/'])('keeps the prefix of ROLLBOT_URL=<proxy>%s', async (prefix) => {
    const { url, seen } = await proxiedBot();
    const env = { ROLLBOT_URL: `${url}${prefix}`, API_TOKEN: 'api-t', USER: 'ana' };
    const listed = capture();
    expect(await runCli(['incidents', '--open'], env, listed.io)).toBe(0);
    expect(listed.out[0]).toMatch(/\nINC-1\s+fraud-scorer\s+SEV-1\s+triage/);
    const resolved = capture();
    expect(await runCli(['resolve', 'INC-1', '--reason', 'false alarm'], env, resolved.io)).toBe(0);
    expect(resolved.out[0]).toMatch(/^INC-1 resolved/);
    expect(seen).toEqual(['/rollbot/api/incidents?open=true', '/rollbot/api/incidents/INC-1/resolve']);
  });

  it('names the health check under the prefix when something else answers', async () => {
    const { url } = await proxiedBot();
    const down = capture();
    expect(await runCli(['incidents'], { ROLLBOT_URL: `${url}/elsewhere` }, down.io)).toBe(1);
    expect(down.err[0]).toContain(`check that GET ${url}/elsewhere/healthz answers {"ok":true}`);
  });

  it("says ROLLBOT_URL's path is wrong when the bot itself answers it has no such route", async () => {
    // The bot at the root of its port, ROLLBOT_URL with a prefix it has not: the bot's own 404, whose hint (the
    // README's routes) is for one who builds requests, not for one who set ROLLBOT_URL.
    const bot = await serveApp(makeDeps());
    close = bot.close;
    const wrong = capture();
    const env = { ROLLBOT_URL: `${bot.url}/rollbot`, API_TOKEN: 'api-t' };
    expect(await runCli(['incidents'], env, wrong.io)).toBe(1);
    expect(wrong.err).toEqual([
      'error: no route GET /rollbot/api/incidents\n' +
        `fix: the bot at ${bot.url}/rollbot has no such route: the path of ROLLBOT_URL is likely wrong ` +
        `(check that GET ${bot.url}/rollbot/healthz answers {"ok":true}), or that bot is older than this CLI`,
    ]);
  });

  it('names the health check under the prefix when nothing answers', async () => {
    const down = capture();
    const env = { ROLLBOT_URL: 'http://127.0.0.1:1/rollbot' };
    expect(await runCli(['incidents'], env, down.io)).toBe(1);
    expect(down.err[0]).toMatch(
      /^error: cannot reach rollbot at http:\/\/127\.0\.0\.1:1\/rollbot \(.+\)\nfix: check ROLLBOT_URL and that the bot is running: GET http:\/\/127\.0\.0\.1:1\/rollbot\/healthz answers \{"ok":true\}$/,
    );
  });
});

describe('rollbot when the bot cannot be reached', () => {
  const hint = (url: string) =>
    `fix: check ROLLBOT_URL and that the bot is running: GET ${url}/healthz answers {"ok":true}`;
  const unreachable = async (url: string) => {
    const down = capture();
    expect(await runCli(['incidents'], { ROLLBOT_URL: url }, down.io)).toBe(1);
    return down.err[0];
  };

  it('says the connection was refused on a port nothing listens on', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    expect(await unreachable(url)).toBe(
      `error: cannot reach rollbot at ${url} (connect ECONNREFUSED ${url.slice('http://'.length)})\n${hint(url)}`,
    );
  });

  it('says the host name does not resolve', async () => {
    // .invalid never resolves (RFC 6761); a machine without a DNS server at all says EAI_AGAIN instead.
    const url = 'http://rollbot.invalid';
    expect(await unreachable(url)).toMatch(
      /^error: cannot reach rollbot at http:\/\/rollbot\.invalid \(getaddrinfo (ENOTFOUND|EAI_AGAIN) rollbot\.invalid\)\n/,
    );
  });

  it('names the TLS failure when https meets a server that does not speak it', async () => {
    const plain = await serve((_req, res) => res.end('plain http'));
    try {
      const url = plain.url.replace('http:', 'https:');
      expect(await unreachable(url)).toBe(
        `error: cannot reach rollbot at ${url} (ERR_SSL_WRONG_VERSION_NUMBER: wrong version number)\n${hint(url)}`,
      );
    } finally {
      await plain.close();
    }
  });
});

describe('rollbot drill against a running bot', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  /** A bot whose fraud-scorer drills as a dry run; the CLI reaches it with ROLLBOT_URL and API_TOKEN. */
  async function bot() {
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer', 'drill: { dryRun: true }')] });
    const server = await serveApp(deps);
    close = server.close;
    return { deps, env: { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ana' } };
  }

  it('runs the drill in the bot, prints the scorecard and exits 0 when it passed', async () => {
    const { deps, env } = await bot();
    const { io, out, err } = capture();
    expect(await runCli(['drill', 'run', 'fraud-scorer'], env, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toMatch(
      /^DRILL PASSED for fraud-scorer \(INC-1, dry run \(plan only, nothing changes\)\): detect skipped \(a drill starts at detection\), triage 0ms\/10m ✓/,
    );
    // The bot's own store holds the drill: it ran there, not in this process.
    const [drill] = await deps.store.listIncidents({});
    expect(drill).toMatchObject({ id: 'INC-1', drill: true, phase: 'closed' });
    expect((await deps.store.list('INC-1')).find((e) => e.type === 'drill.started')?.actor).toBe('cli:ana');

    const listed = capture();
    expect(await runCli(['drill', 'list'], env, listed.io)).toBe(0);
    expect(listed.out[0]).toMatch(
      /^fraud-scorer: quarterly \(UTC\) against dry run \(plan only, nothing changes\); next \S+, \S+; last passed /,
    );
  });

  it('exits 1 with the scorecard when the drill failed, and explains a refused one', async () => {
    const { deps, env } = await bot();
    deps.fake.stateErrors.push(permanent('HTTP 403: forbidden'));
    const failed = capture();
    expect(await runCli(['drill', 'run', 'fraud-scorer'], env, failed.io)).toBe(1);
    expect(failed.out[0]).toMatch(/^DRILL FAILED for fraud-scorer /);
    expect(failed.out[0]).toContain('403');

    const unknown = capture();
    expect(await runCli(['drill', 'run', 'fraud-scorrer'], env, unknown.io)).toBe(1);
    expect(unknown.err[0]).toContain('fraud-scorer');
    expect(await deps.store.listIncidents({})).toHaveLength(1);
  });
});

describe('rollbot rollback --from and --to against a running bot', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('sends the version it rolls back from, so that the same command run again is refused', async () => {
    const deps = makeDeps();
    const server = await serveApp(deps);
    close = server.close;
    const env = { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ana' };
    const args = ['rollback', 'fraud-scorer', '--from', 'v42', '--reason', 'p99 doubled after v42'];
    const first = capture();
    expect(await runCli(args, env, first.io)).toBe(0);
    expect(first.out.at(-1)).toMatch(/^rolled fraud-scorer back to v41 \(INC-1\)/);

    const again = capture();
    expect(await runCli(args, env, again.io)).toBe(1);
    expect(again.err[0]).toMatch(
      /^error: fraud-scorer serves v41 now, not v42 as when this rollback was asked for \(rolled back from v42 by cli:ana in INC-1 at [^)]+\); rollbot did not roll back again\nfix: /,
    );
    expect(deps.fake.mutations).toBe(1);

    const empty = capture();
    expect(await runCli(['rollback', 'fraud-scorer', '--from', '', '--reason', 'x'], env, empty.io)).toBe(2);
    expect(empty.err[0]).toMatch(
      /^error: --from is empty\n {4}usage: rollbot rollback .*\[--from <version>\].*\nfix: give the version/,
    );
    expect(deps.fake.mutations).toBe(1);
  });

  it('refuses an empty --to rather than roll back to the default target instead of the one asked for', async () => {
    const deps = makeDeps();
    const server = await serveApp(deps);
    close = server.close;
    const env = { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ana' };
    const empty = capture();
    expect(await runCli(['rollback', 'fraud-scorer', '--to', '', '--reason', 'x'], env, empty.io)).toBe(2);
    expect(empty.err[0]).toMatch(
      /^error: --to is empty\n {4}usage: rollbot rollback .*\[--to <version>\].*\nfix: give the version/,
    );
    expect(deps.fake.mutations).toBe(0);
    expect(await deps.store.listIncidents({})).toEqual([]);
  });
});

describe('rollbot deploy record against a running bot', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('refuses an empty --previous or --traffic rather than record the deployment without it, or at 0%', async () => {
    const deps = makeDeps();
    const server = await serveApp(deps);
    close = server.close;
    const env = { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ci' };
    const previous = capture();
    const record = ['deploy', 'record', 'fraud-scorer', 'v43'];
    expect(await runCli([...record, '--previous', ''], env, previous.io)).toBe(2);
    expect(previous.err[0]).toMatch(
      /^error: --previous is empty\n {4}usage: rollbot deploy record .*\[--previous <version>\].*\nfix: give the version/,
    );
    const traffic = capture();
    expect(await runCli([...record, '--traffic', ' '], env, traffic.io)).toBe(2);
    expect(traffic.err[0]).toMatch(
      /^error: --traffic is empty\n {4}usage: rollbot deploy record .*\[--traffic <percent>\].*\nfix: give the share/,
    );
    expect(await deps.store.deployments('fraud-scorer')).toEqual([]);
  });

  it('refuses a blank version (an unset variable in quotes) rather than record " " as the latest version', async () => {
    const deps = makeDeps();
    const server = await serveApp(deps);
    close = server.close;
    const env = { ROLLBOT_URL: server.url, API_TOKEN: 'api-t', USER: 'ci' };
    const blank = capture();
    expect(await runCli(['deploy', 'record', 'fraud-scorer', ' '], env, blank.io)).toBe(2);
    expect(blank.err[0]).toMatch(
      /^error: the version is empty\n {4}usage: rollbot deploy record <model> <version> .*\nfix: give the version/,
    );
    expect(await deps.store.deployments('fraud-scorer')).toEqual([]);
  });
});

describe('rollbot against a bot with another API token, or none', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function bot(apiToken: string | undefined) {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const server = await serveApp(deps, { apiToken });
    close = server.close;
    return { deps, url: server.url };
  }

  it('says to set API_TOKEN in the shell, not to send a header the CLI sends itself', async () => {
    const { deps, url } = await bot('api-t');
    const unset = capture();
    expect(await runCli(['resolve', 'INC-1', '--reason', 'fixed'], { ROLLBOT_URL: url }, unset.io)).toBe(1);
    expect(unset.err[0]).toBe(
      `error: missing or wrong bearer token for the API\nfix: API_TOKEN is not set here: set it to the API_TOKEN the bot at ${url} runs with (the CLI sends it as its bearer token)`,
    );
    const wrong = capture();
    const env = { ROLLBOT_URL: url, API_TOKEN: 'old-token' };
    expect(await runCli(['resolve', 'INC-1', '--reason', 'fixed'], env, wrong.io)).toBe(1);
    expect(wrong.err[0]).toBe(
      `error: missing or wrong bearer token for the API\nfix: API_TOKEN here is not the one the bot at ${url} runs with: set it to the bot's API_TOKEN`,
    );
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
  });

  it('sends API_TOKEN on reads too, and says to set it when a bot with one refuses a read', async () => {
    const { url } = await bot('api-t');
    const unset = capture();
    expect(await runCli(['incidents'], { ROLLBOT_URL: url }, unset.io)).toBe(1);
    expect(unset.err[0]).toBe(
      `error: missing or wrong bearer token for the API\nfix: API_TOKEN is not set here: set it to the API_TOKEN the bot at ${url} runs with (the CLI sends it as its bearer token)`,
    );
    const listed = capture();
    expect(await runCli(['incidents'], { ROLLBOT_URL: url, API_TOKEN: 'api-t' }, listed.io)).toBe(0);
    expect(listed.out[0]).toMatch(/\nINC-1\s+fraud-scorer/);
  });

  it('reads from a bot without API_TOKEN, which keeps reads open', async () => {
    const { url } = await bot(undefined);
    const listed = capture();
    expect(await runCli(['incidents'], { ROLLBOT_URL: url }, listed.io)).toBe(0);
    expect(listed.out[0]).toMatch(/\nINC-1\s+fraud-scorer/);
  });

  it('plans a dry run with a bot without API_TOKEN, a dry run being a read', async () => {
    const { deps, url } = await bot(undefined);
    const { io, out, err } = capture();
    const args = ['rollback', 'fraud-scorer', '--reason', 'what would it do', '--dry-run'];
    expect(await runCli(args, { ROLLBOT_URL: url }, io)).toBe(0);
    expect(err).toEqual([]);
    expect(out.join('\n')).toContain('v41');
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
  });

  it('says the bot takes no writes without its own API_TOKEN, not to dismiss as someone else', async () => {
    const { url } = await bot(undefined);
    const { io, err } = capture();
    expect(await runCli(['dismiss', 'INC-1', '--reason', 'upstream'], { ROLLBOT_URL: url }, io)).toBe(1);
    expect(err[0]).toBe(
      `error: the write API is disabled because API_TOKEN is not set\nfix: the bot at ${url} runs without API_TOKEN, so it takes no writes: start it with API_TOKEN set, and set the same API_TOKEN here`,
    );
  });
});

describe('rollbot at a ROLLBOT_URL with a user and password in it', () => {
  it('refuses it without printing the password, and says to use API_TOKEN, before asking anything', async () => {
    const asked: string[] = [];
    const bot = await serve((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"incidents":[]}');
    });
    try {
      const withUser = bot.url.replace('http://', 'http://ops:s3cret@');
      for (const args of [['incidents'], ['resolve', 'INC-1', '--reason', 'fixed']]) {
        const { io, out, err } = capture();
        expect(await runCli(args, { ROLLBOT_URL: `${withUser}/rollbot`, API_TOKEN: 'api-t' }, io)).toBe(1);
        expect(out).toEqual([]);
        expect(err).toEqual([
          `error: ROLLBOT_URL has a user and password in it (${bot.url.replace('http://', 'http://ops:***@')}/rollbot), which the CLI does not send\n` +
            `fix: set ROLLBOT_URL to ${bot.url}/rollbot, and API_TOKEN to the bot's API_TOKEN: the CLI sends that as its bearer token`,
        ]);
      }
      expect(asked).toEqual([]);
    } finally {
      await bot.close();
    }
  });
});

describe('rollbot at a ROLLBOT_URL that redirects', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it('says where it redirects to and to set ROLLBOT_URL there, rather than follow it without API_TOKEN', async () => {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const bot = await serveApp(deps);
    // Another origin (an http → https redirect, a moved host): fetch drops the bearer token on the way.
    const redirecting = await serve((req, res) => {
      res.writeHead(308, { location: `${bot.url}${req.url ?? '/'}` }).end();
    });
    closing.push(bot.close, redirecting.close);
    const env = { ROLLBOT_URL: redirecting.url, API_TOKEN: 'api-t' };
    for (const [args, path] of [
      [['incidents'], '/api/incidents'],
      [['resolve', 'INC-1', '--reason', 'fixed'], '/api/incidents/INC-1/resolve'],
      [['rollback', 'fraud-scorer', '--reason', 'errors up'], '/api/rollbacks'],
    ] as const) {
      const { io, out, err } = capture();
      expect(await runCli([...args], env, io), args.join(' ')).toBe(1);
      expect(out).toEqual([]);
      expect(err).toEqual([
        `error: ${redirecting.url} answered 308 Permanent Redirect to ${bot.url}${path}, which the CLI does not follow (API_TOKEN would not go with it)\n` +
          `fix: set ROLLBOT_URL to the address the bot answers at itself: ${bot.url}`,
      ]);
    }
    expect((await deps.store.getIncident('INC-1'))?.phase).toBe('triage');
    expect(deps.fake.mutations).toBe(0);
  });

  it('says so too when it redirects to a login page, which is no address of the bot', async () => {
    const sso = await serve((_req, res) => {
      res.writeHead(302, { location: 'https://sso.example.com/login?next=%2F' }).end();
    });
    closing.push(sso.close);
    const { io, err } = capture();
    expect(await runCli(['incidents'], { ROLLBOT_URL: sso.url, API_TOKEN: 'api-t' }, io)).toBe(1);
    expect(err).toEqual([
      `error: ${sso.url} answered 302 Found to https://sso.example.com/login?next=%2F, which the CLI does not follow (API_TOKEN would not go with it)\n` +
        'fix: set ROLLBOT_URL to the address the bot answers at itself, not a login page or a redirect: one where GET …/healthz answers {"ok":true}',
    ]);
  });
});

describe('rollbot against a bot that answers with an error', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('reports a rollback refused before its first step with the bot’s reason, and exits 1', async () => {
    const deps = makeDeps();
    deps.fake.stateErrors.push(permanent('HTTP 403: forbidden'));
    const server = await serveApp(deps);
    close = server.close;
    const { io, err } = capture();
    const env = { ROLLBOT_URL: server.url, API_TOKEN: 'api-t' };
    expect(await runCli(['rollback', 'fraud-scorer', '--reason', 'errors up'], env, io)).toBe(1);
    expect(err[0]).toMatch(/^error: HTTP 403: forbidden\nfix: /);
    expect(deps.fake.mutations).toBe(0);
  });

  it('reports a rollback refused after its first step with the bot’s reason, not as an unknown outcome', async () => {
    const deps = makeDeps();
    const server = await serveApp(deps);
    close = server.close;
    const env = { ROLLBOT_URL: server.url, API_TOKEN: 'api-t' };
    const args = ['rollback', 'fraud-scorer', '--reason', 'errors up'];
    expect(await runCli(args, env, capture().io)).toBe(0);
    const again = capture();
    expect(await runCli(args, env, again.io)).toBe(1);
    expect(again.out).toEqual([expect.stringMatching(/^\[\d\d:\d\d:\d\d\] state /)]);
    expect(again.err).toEqual([
      expect.stringMatching(
        /^error: fraud-scorer was rolled back from v42 in INC-1 at \S+; rollbot will not roll it forward onto v42\nfix: traffic is probably already on the known-good version/,
      ),
    ]);
    expect(deps.fake.mutations).toBe(1);
  });

  it('explains a proxy’s error page in front of the bot instead of throwing', async () => {
    const proxy = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    close = proxy.close;
    const env = { ROLLBOT_URL: proxy.url, API_TOKEN: 'api-t' };
    for (const args of [
      ['incidents'],
      ['rollback', 'fraud-scorer', '--reason', 'errors up'],
      ['deploy', 'record', 'fraud-scorer', 'v43'],
      ['resolve', 'INC-1', '--reason', 'fixed'],
      ['dismiss', 'INC-1', '--reason', 'false alarm', '--as', 'U0ANA'],
      ['drill', 'run', 'fraud-scorer'],
    ]) {
      const { io, err } = capture();
      expect(await runCli(args, env, io)).toBe(1);
      expect(err).toEqual([
        `error: ${proxy.url} answered 502 Bad Gateway, not with rollbot's JSON\nfix: a proxy in front of the bot may be failing, or ROLLBOT_URL points elsewhere: check that GET ${proxy.url}/healthz answers {"ok":true}`,
      ]);
    }
  });

  it('explains JSON that is not rollbot’s (another service at ROLLBOT_URL) instead of failing on reading it', async () => {
    // Another service answers every request 200 with JSON of its own, or a JSON null.
    for (const body of ['{"status":"ok"}', 'null']) {
      const other = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      });
      close = other.close;
      const env = { ROLLBOT_URL: other.url, API_TOKEN: 'api-t' };
      for (const args of [
        ['incidents'],
        ['timeline', 'INC-1'],
        ['resolve', 'INC-1', '--reason', 'fixed'],
        ['dismiss', 'INC-1', '--reason', 'false alarm', '--as', 'U0ANA'],
        ['note', 'INC-1', 'canary was on v43'],
        [
          'gate',
          'freeze',
          'fraud-scorer',
          '--until',
          new Date(Date.now() + 86_400_000).toISOString(),
          '--reason',
          'holidays',
        ],
        ['gate', 'unfreeze', 'fraud-scorer'],
        ['deploy', 'record', 'fraud-scorer', 'v43'],
        ['drill', 'list'],
        ['drill', 'run', 'fraud-scorer'],
      ]) {
        const { io, out, err } = capture();
        expect(await runCli(args, env, io), `${args.join(' ')} answered ${body}`).toBe(1);
        expect(out).toEqual([]);
        expect(err).toEqual([
          `error: ${other.url} answered 200 OK, not with rollbot's JSON\nfix: a proxy in front of the bot may be failing, or ROLLBOT_URL points elsewhere: check that GET ${other.url}/healthz answers {"ok":true}`,
        ]);
      }
      await other.close();
      close = undefined;
    }
  });

  it('says the outcome is unknown, and why the connection broke, when it breaks in the middle of a rollback', async () => {
    const dying = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${JSON.stringify({ step: { kind: 'executing', at: 0, text: 'executing on kserve' } })}\n`);
      setImmediate(() => res.socket?.destroy());
    });
    close = dying.close;
    const { io, out, err } = capture();
    const env = { ROLLBOT_URL: dying.url, API_TOKEN: 'api-t' };
    expect(await runCli(['rollback', 'fraud-scorer', '--reason', 'errors up'], env, io)).toBe(1);
    expect(out).toEqual(['[00:00:00] executing executing on kserve']);
    expect(err[0]).toMatch(
      // The network's reason (the socket's), not fetch's own "terminated".
      /^error: the connection to rollbot broke \(UND_ERR_SOCKET: other side closed\) before the rollback's outcome arrived\n/,
    );
    expect(err[0]).toContain('fix: the rollback may have run: check `rollbot incidents --open`');
  });
});

describe('rollbot in-process on a Redis that does not answer', () => {
  /** The real CLI as its own process: what ioredis prints goes to that process's stderr, not through `io`. */
  async function cliProcess(args: string[], env: Record<string, string>) {
    const run = promisify(execFile);
    const options = {
      cwd: new URL('../../', import.meta.url),
      env: { PATH: process.env.PATH ?? '', ...env },
    };
    return run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], options).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
  }

  it('says so in one message with the fix, password masked, and exits 1 without retrying', async () => {
    const port = await freePort();
    const result = await cliProcess(['incidents'], { REDIS_URL: `redis://ops:s3cret@127.0.0.1:${port}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `error: cannot reach Redis at redis://ops:***@127.0.0.1:${port} (ECONNREFUSED)\n` +
        'fix: check REDIS_URL and that Redis is running, or set ROLLBOT_URL to use a running bot\n',
    );
  }, 30_000);
});
