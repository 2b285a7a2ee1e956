import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbooks, loadRunbooksOrThrow } from '../../src/runbooks/load.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { formatProblem } from '../../src/runbooks/problems.js';
import { runbookYaml } from '../helpers/engine.js';

function problemsOf(text: string): string[] {
  const result = parseRunbook(text, 'x.yml');
  if (result.ok) throw new Error('expected problems');
  return result.problems.map(formatProblem);
}

describe('the example runbooks', () => {
  it('are valid, and cover three serving layers, tiers and policies', async () => {
    const { runbooks, problems } = await loadRunbooks('runbooks');
    expect(problems).toEqual([]);
    expect(runbooks.map((r) => [r.model, r.tier, r.serving.adapter, r.rollback.policy])).toEqual([
      ['churn-predictor', 2, 'argo-rollouts', 'approve'],
      ['fraud-scorer', 1, 'kserve', 'auto'],
      ['search-ranker', 3, 'sagemaker', 'two-person'],
    ]);
  });
});

describe("runbooks/README.md's YAML examples", () => {
  const readme = readFileSync(new URL('../../runbooks/README.md', import.meta.url), 'utf8');
  const examples = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

  it('load as written, with only the fields every runbook needs added', () => {
    expect(examples.map((example) => example.split(':')[0])).toEqual([
      'triage',
      'serving',
      'serving',
      'serving',
      'serving',
    ]);
    const required = "owner: '@x'\nchannel: C0FRAUD01\n";
    const serving = 'serving: { adapter: kserve, namespace: ml-prod, name: m }\n';
    for (const [i, example] of examples.entries()) {
      const text = `model: m${i}\n${required}${example.startsWith('serving:') ? '' : serving}${example}`;
      const result = parseRunbook(text, `m${i}.yml`);
      expect(result.ok ? [] : result.problems.map(formatProblem), example.slice(0, 40)).toEqual([]);
    }
  });
});

describe('runbook defaults', () => {
  it('fills targets and policy from the tier, and match from the model', () => {
    const result = parseRunbook(runbookYaml('m1').replace('tier: 1', 'tier: 3'), 'm1.yml');
    if (!result.ok) throw new Error('invalid');
    expect(result.runbook.targets).toEqual({
      detect: 600_000,
      triage: 1_800_000,
      rollback: 900_000,
      confirm: 1_800_000,
      retro: 172_800_000, // 48 h on every tier
    });
    expect(result.runbook.rollback.policy).toBe('approve');
    expect(result.runbook.match).toEqual({ model: 'm1' });
    expect(result.runbook.confirm).toEqual({
      interval: 30_000,
      initialDelay: 30_000,
      consecutive: 3,
      tolerance: 0.1,
      failureLimit: 2,
      errorLimit: 4,
      checks: [],
    });
    expect(result.runbook.triage).toEqual({
      checks: [],
      interval: 30_000,
      samples: 3,
      failing: 3,
      trend: 900_000,
    });
  });

  it('lets targets and retro.due override the tier', () => {
    const result = parseRunbook(runbookYaml('m1', 'targets: { triage: 90s }\nretro: { due: 24h }'), 'm1.yml');
    if (!result.ok) throw new Error('invalid');
    expect(result.runbook.targets.triage).toBe(90_000);
    expect(result.runbook.targets.retro).toBe(86_400_000);
    expect(result.runbook.targets.rollback).toBe(300_000);
  });
});

describe('runbook problems', () => {
  it('name the file, line, field and fix for each typo at once', () => {
    const text = [
      'model: fraud-scorer',
      'owner: "@ml"',
      'channel: C0FRAUD01',
      'tier: 1',
      'serving: { adapter: kserv, namespace: a, name: b }',
      'rollback: { policy: atuo }',
      'targets: { triage: 10 }',
      'escalaton: { mention: [S0X] }',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      'x.yml:5: serving.adapter: "kserv" is not allowed: expected one of "kserve", "argo-rollouts", "sagemaker", "vertex", "mlflow", "http", "command" (did you mean "kserve"?)',
      'x.yml:6: rollback.policy: "atuo" is not allowed: expected one of "auto", "approve", "two-person" (did you mean "auto"?)',
      'x.yml:7: targets.triage: expected a duration like 30s, 5m, 48h or 7d (got 10)',
      'x.yml:8: escalaton: unknown field "escalaton" (did you mean "escalation"?)',
    ]);
  });

  it("list a file's problems in the order of its lines, as a person fixes them", () => {
    const text = `escalaton: { mention: [S0X] }\n${runbookYaml('m1').replace('tier: 1', 'tier: 7')}`;
    expect(problemsOf(text)).toEqual([
      'x.yml:1: escalaton: unknown field "escalaton" (did you mean "escalation"?)',
      'x.yml:5: tier: expected tier 1 (high risk), 2 or 3 (got 7)',
    ]);
  });

  it('report a missing field at its parent and a check with no threshold', () => {
    const problems = problemsOf(
      runbookYaml('m1', 'triage:\n  checks:\n    - { name: errors, kind: error, query: "up" }').replace(
        'owner: "@ml"\n',
        '',
      ),
    );
    expect(problems).toContain('x.yml:1: owner: missing required field: write it (text)');
    expect(
      problems.some((p) => p.includes('triage.checks.0: a check needs a threshold: give min, max or both')),
    ).toBe(true);
  });

  it('refuse two checks of one list with the same name, which confirmation would judge against one baseline', () => {
    const checks = (list: string) =>
      [
        `${list}:`,
        '  checks:',
        '    - { name: error rate, kind: error, query: "eu_errors", max: 0.02 }',
        '    - { name: error rate, kind: error, query: "us_errors", max: 0.02 }',
      ].join('\n');
    const message =
      'triage.checks.1.name: "error rate" is also the name of triage.checks.0: confirmation keeps each check\'s baseline by its name, and messages tell checks apart by it; give each check its own name';
    expect(problemsOf(runbookYaml('m1', checks('triage')))).toEqual([`x.yml:10: ${message}`]);
    expect(problemsOf(runbookYaml('m1', checks('confirm')))).toEqual([
      `x.yml:10: ${message.replaceAll('triage.', 'confirm.')}`,
    ]);
  });

  it('report a nested unknown key on its own line', () => {
    const problems = problemsOf(runbookYaml('m1', 'confirm:\n  interval: 30s\n  consecutve: 3'));
    expect(problems).toEqual([
      'x.yml:9: confirm.consecutve: unknown field "consecutve" (did you mean "consecutive"?)',
    ]);
  });

  it('say where a field written at the wrong level belongs, rather than suggest the field itself', () => {
    // `policy` is a field, but of rollback: "did you mean "policy"?" would send the author round in a circle.
    expect(problemsOf(runbookYaml('m1', 'policy: auto'))).toEqual([
      'x.yml:7: policy: unknown field "policy" at the top level: it belongs under rollback (rollback.policy)',
    ]);
    expect(problemsOf(runbookYaml('m1', 'drill: { dryRun: true, due: 48h }'))).toEqual([
      'x.yml:7: drill.due: unknown field "due" in drill: it belongs under retro (retro.due)',
    ]);
    expect(problemsOf(runbookYaml('m1', 'interval: 30s'))).toEqual([
      'x.yml:7: interval: unknown field "interval" at the top level: it belongs under triage (triage.interval) or confirm (confirm.interval)',
    ]);
  });

  it('suggest for a typo a field of its own level first, then one of another level with its place', () => {
    // `remind` is a field of drill; `reminds` at the top level is a typo of it, and says where it goes.
    expect(problemsOf(runbookYaml('m1', 'reminds: [7d]'))).toEqual([
      'x.yml:7: reminds: unknown field "reminds" (did you mean "remind", under drill: drill.remind?)',
    ]);
    // In drill, `serving` (of drill) is closer to home than any other `servings`.
    expect(problemsOf(runbookYaml('m1', 'drill: { dryRun: true, servng: 1 }'))).toEqual([
      'x.yml:7: drill.servng: unknown field "servng" (did you mean "serving"?)',
    ]);
  });

  it('take a check unit, and name the ones there are for a typo', () => {
    const check = (unit: string) =>
      runbookYaml(
        'm1',
        `triage:\n  checks:\n    - { name: e, kind: error, query: up, max: 0.02, unit: ${unit} }`,
      );
    const parsed = parseRunbook(check('ratio'), 'x.yml');
    expect(parsed.ok && parsed.runbook.triage.checks[0]?.unit).toBe('ratio');
    const [problem] = problemsOf(check('percent'));
    expect(problem).toMatch(/^x\.yml:9: triage\.checks\.0\.unit: .*"ratio".*"seconds"/);
  });

  it('take links, and refuse one that is not an http(s) URL, naming the fix', () => {
    const withLinks = (url: string) => runbookYaml('m1', `links:\n  - { name: Grafana, url: "${url}" }`);
    const parsed = parseRunbook(withLinks('https://grafana.example.com/d/m1'), 'x.yml');
    expect(parsed.ok && parsed.runbook.links).toEqual([
      { name: 'Grafana', url: 'https://grafana.example.com/d/m1' },
    ]);
    expect(problemsOf(withLinks('grafana/d/m1'))).toEqual([
      'x.yml:8: links.0.url: expected an http(s) URL of at most 2000 characters, like https://grafana.example.com/d/fraud-scorer',
    ]);
    const six = Array.from({ length: 6 }, (_, i) => `  - { name: l${i}, url: "https://x.test/${i}" }`);
    expect(problemsOf(runbookYaml('m1', `links:\n${six.join('\n')}`))[0]).toContain(
      'at most 5 links: keep the ones people open first',
    );
  });

  it('report YAML syntax errors with their line', () => {
    expect(problemsOf('model: a\nowner: [unclosed\n')[0]).toMatch(/^x\.yml:\d+: not valid YAML/);
  });

  it('say how to fix the YAML errors a first runbook makes: an unquoted @ and a tab as indentation', () => {
    expect(problemsOf(runbookYaml('m1').replace('owner: "@ml"', 'owner: @ml'))).toEqual([
      'x.yml:2: not valid YAML: Plain value cannot start with reserved character @; put the value in quotes, like owner: "@fraud-ml"',
    ]);
    expect(problemsOf(runbookYaml('m1', 'rollback:\n\tpolicy: auto'))).toEqual([
      'x.yml:8: not valid YAML: Tabs are not allowed as indentation; indent with spaces',
    ]);
  });

  it("refuse a tag YAML does not know (!Ref, a template's habit), which would load the text after it as the value", () => {
    expect(problemsOf(runbookYaml('m1').replace('owner: "@ml"', 'owner: !Ref OwnerTeam'))).toEqual([
      'x.yml:2: owner: the tag !Ref is not one rollbot reads (runbooks are plain YAML, not a template): write the value itself, without the tag',
    ]);
    // The standard tags still work: !!str keeps 012 as written.
    const kept = parseRunbook(runbookYaml('m1', 'alerts: { match: { env: !!str 012 } }'), 'x.yml');
    expect(kept.ok && kept.runbook.match).toEqual({ env: '012' });
  });

  it('name a field written twice, and where, rather than only "Map keys must be unique"', () => {
    // Two `max:` in one check: which one was meant is the author's call, so both places are named.
    const twice = runbookYaml(
      'm1',
      [
        'triage:',
        '  checks:',
        '    - name: errors',
        '      kind: error',
        '      query: up',
        '      max: 0.02',
        '      max: 0.05',
      ].join('\n'),
    );
    expect(problemsOf(twice)).toEqual([
      'x.yml:13: triage.checks.0.max: written twice (first on line 12): keep one and remove the other',
    ]);
    expect(problemsOf(`${runbookYaml('m1')}\nowner: "@other"`)).toEqual([
      'x.yml:8: owner: written twice (first on line 2): keep one and remove the other',
    ]);
  });

  it('explain a second YAML document in the file without pointing at the YAML library', () => {
    expect(problemsOf(`${runbookYaml('a')}\n---\n${runbookYaml('b')}`)).toEqual([
      'x.yml:8: a runbook file holds one YAML document (one model): remove this "---" and what follows it, or move it to a file of its own, named <model>.yml',
    ]);
  });

  it('quote an infinite or NaN value as it was written, not as null', () => {
    const check = (field: string) =>
      runbookYaml('m1', `triage: { checks: [{ name: errors, kind: error, query: up, ${field} }] }`);
    expect(problemsOf(check('max: .inf'))).toEqual([
      'x.yml:7: triage.checks.0.max: expected a finite number (got .inf)',
    ]);
    expect(problemsOf(check('min: -.inf'))).toEqual([
      'x.yml:7: triage.checks.0.min: expected a finite number (got -.inf)',
    ]);
    expect(problemsOf(check('max: 1, unit: .nan'))).toEqual([
      'x.yml:7: triage.checks.0.unit: .nan is not allowed: expected one of "ratio", "seconds"',
    ]);
  });

  it('refuse an empty severity label, which no alert carries, so every alert would get the default severity', () => {
    expect(problemsOf(runbookYaml('m1', 'severity: { label: "" }'))).toEqual([
      'x.yml:7: severity.label: an empty label name matches no alert label, so every alert would get severity.default; name the label that carries severity (e.g. priority), or leave severity.label out for "severity"',
    ]);
  });

  it('quote a tier or severity written as a string, which reads like the number the error asks for', () => {
    expect(problemsOf(runbookYaml('m1').replace('tier: 1', 'tier: "1"'))).toEqual([
      'x.yml:4: tier: expected tier 1 (high risk), 2 or 3 (got "1", a string: write it without quotes)',
    ]);
    expect(problemsOf(runbookYaml('m1', "severity: { map: { p1: '1' }, default: 5 }"))).toEqual([
      'x.yml:7: severity.map.p1: expected a severity from 1 (SEV-1, worst) to 4 (got "1", a string: write it without quotes)',
      'x.yml:7: severity.default: expected a severity from 1 (SEV-1, worst) to 4 (got 5)',
    ]);
  });

  it('tell a number or boolean where text is wanted to be quoted, as written rather than as YAML read it', () => {
    const text = runbookYaml('m1', 'alerts: { match: { env: 012, version: 1.10, canary: true } }');
    expect(problemsOf(text)).toEqual([
      'x.yml:7: alerts.match.env: expected text, but YAML reads 012 as the number 12: write it in quotes, "012"',
      'x.yml:7: alerts.match.version: expected text, but YAML reads 1.10 as the number 1.1: write it in quotes, "1.10"',
      'x.yml:7: alerts.match.canary: expected text, but YAML reads true as a boolean: write it in quotes, "true"',
    ]);
  });

  it('answer a YAML 1.1 yes/no/on/off where a boolean is wanted with true or false', () => {
    expect(problemsOf(runbookYaml('m1', 'drill: { dryRun: yes }'))).toEqual([
      'x.yml:7: drill.dryRun: expected true or false (got "yes", which YAML 1.2 reads as text: write true)',
    ]);
    expect(problemsOf(runbookYaml('m1', 'drill: { dryRun: "off" }'))).toEqual([
      'x.yml:7: drill.dryRun: expected true or false (got "off", which YAML 1.2 reads as text: write false)',
    ]);
    // Any other word is only quoted back, even one every JavaScript object has a member of that name.
    expect(problemsOf(runbookYaml('m1', 'drill: { dryRun: constructor }'))).toEqual([
      'x.yml:7: drill.dryRun: expected true or false (got "constructor")',
    ]);
  });

  it('name what a missing field takes in words, not as zod types', () => {
    const text = runbookYaml('m1').replace(
      'serving: { adapter: kserve, namespace: ml-prod, name: m1 }',
      'serving: { adapter: kserve, name: m1 }',
    );
    expect(problemsOf(text.replace('channel: C0TEST0001\n', ''))).toEqual([
      'x.yml:1: channel: missing required field: write it (text)',
      'x.yml:4: serving.namespace: missing required field: write it (text)',
    ]);
    expect(problemsOf(runbookYaml('m1').replace(/serving: .*\n/, ''))).toEqual([
      'x.yml:1: serving: missing required field: write it (a mapping)',
    ]);
  });

  it('refuse two severity.map values that differ only in case, which are compared in lower case and one would be lost', () => {
    expect(problemsOf(runbookYaml('m1', 'severity: { map: { P1: 1, p1: 2 } }'))).toEqual([
      'x.yml:7: severity.map.p1: the same value as "P1" (values are compared in lower case): keep one',
    ]);
  });

  it('refuse an M-of-N larger than N', () => {
    // At the field to change (its own line), not at the whole triage block.
    expect(problemsOf(runbookYaml('m1', 'triage:\n  samples: 3\n  failing: 4'))).toEqual([
      'x.yml:9: triage.failing: 4 of 3 measurements can never breach: failing (M) is at most samples (N); lower failing or raise samples',
    ]);
  });

  it('refuse a triage window Prometheus would refuse to answer, since every triage would fail', () => {
    expect(problemsOf(runbookYaml('m1', 'triage: { interval: 5s, trend: 24h }'))).toEqual([
      "x.yml:7: triage.trend: a trend of 1d every 5s is 17280 intervals per query, above Prometheus' limit of 11,000: shorten triage.trend or lengthen triage.interval",
    ]);
    expect(parseRunbook(runbookYaml('m1', 'triage: { interval: 5s, trend: 12h }'), 'x.yml').ok).toBe(true);
    // The limit itself, as Prometheus draws it: 11,000 intervals (11,001 points) are answered, 11,001 are not.
    expect(parseRunbook(runbookYaml('m1', 'triage: { interval: 1s, trend: 11000s }'), 'x.yml').ok).toBe(true);
    expect(problemsOf(runbookYaml('m1', 'triage: { interval: 1s, trend: 11001s }'))).toEqual([
      "x.yml:7: triage.trend: a trend of 3h 3m every 1s is 11001 intervals per query, above Prometheus' limit of 11,000: shorten triage.trend or lengthen triage.interval",
    ]);
  });

  it('refuse business hours that end before they start, in which a SEV-3 would never page', () => {
    const paging = (hours: string) =>
      `paging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY, businessHours: { ${hours} } }`;
    expect(problemsOf(runbookYaml('m1', paging('timezone: Asia/Tokyo, start: 22, end: 6')))).toEqual([
      'x.yml:7: paging.businessHours.end: business hours from 22:00 to 6:00 hold no hour, so SEV-3 incidents would never page: hours are local to businessHours.timezone and cannot cross midnight; make end later than start (at most 24)',
    ]);
    expect(problemsOf(runbookYaml('m1', paging('start: 9, end: 9')))).toHaveLength(1);
    expect(parseRunbook(runbookYaml('m1', paging('start: 0, end: 24')), 'x.yml').ok).toBe(true);
  });

  it('refuse business hours on no day, in which a SEV-3 would never page and its night misses never be paged', () => {
    const paging = (hours: string) =>
      `paging: { provider: opsgenie, apiKeyEnv: FRAUD_OG_KEY, businessHours: { ${hours} } }`;
    expect(problemsOf(runbookYaml('m1', paging('days: []')))).toEqual([
      'x.yml:7: paging.businessHours.days: business hours on no day hold no hour, so SEV-3 incidents would never page: list the weekdays that page, 0 (Sunday) to 6 (Saturday), like [1, 2, 3, 4, 5], or leave days out for Monday to Friday',
    ]);
    expect(parseRunbook(runbookYaml('m1', paging('days: [0]')), 'x.yml').ok).toBe(true);
  });

  it('refuse a confirmation that could never pass before its target ends it INCONCLUSIVE', () => {
    // Tier 1: the confirm target is 15m. Polls at 30s, 5m30s, 10m30s, 15m30s: the 4th pass comes after it,
    // which still passes (the verdict looks at the passes first); a 5th never gets a poll.
    expect(problemsOf(runbookYaml('m1', 'confirm: { interval: 5m, consecutive: 5 }'))).toEqual([
      'x.yml:7: confirm.consecutive: 5 passes in a row every 5m after 30s can never confirm: poll 4 of 5 comes 15m 30s after the start, when the confirm target (15m) has ended the confirmation INCONCLUSIVE; lower confirm.consecutive or confirm.interval, or raise targets.confirm',
    ]);
    expect(parseRunbook(runbookYaml('m1', 'confirm: { interval: 5m, consecutive: 4 }'), 'x.yml').ok).toBe(
      true,
    );
    const longer = 'confirm: { interval: 5m, consecutive: 5 }\ntargets: { confirm: 30m }';
    expect(parseRunbook(runbookYaml('m1', longer), 'x.yml').ok).toBe(true);
  });

  it('refuse a check whose pass or fail range is empty, since every measurement would breach', () => {
    const check = (range: string) =>
      runbookYaml(
        'm1',
        `triage:\n  checks:\n    - { name: approval rate, kind: business, query: q, ${range} }`,
      );
    expect(problemsOf(check('min: 0.8, max: 0.25'))).toEqual([
      'x.yml:9: triage.checks.0.min: min 0.8 is above max 0.25: the range is empty, so every measurement would breach; swap them or fix the wrong one',
    ]);
    expect(problemsOf(check('max: 0.02, fail: { min: 0.5, max: 0.1 }'))).toEqual([
      'x.yml:9: triage.checks.0.fail.min: min 0.5 is above max 0.1: the range is empty, so every measurement would breach; swap them or fix the wrong one',
    ]);
    expect(parseRunbook(check('min: 0.25, max: 0.25'), 'x.yml').ok).toBe(true);
  });

  it('refuse a fail range that starts beyond the pass range, since the worst values would be INCONCLUSIVE', () => {
    const check = (range: string) =>
      runbookYaml('m1', `triage:\n  checks:\n    - { name: error rate, kind: error, query: q, ${range} }`);
    // Meant as "fail at 10 % or more": 3 % would FAIL, 50 % be INCONCLUSIVE and never roll back.
    expect(problemsOf(check('max: 0.02, fail: { min: 0.1 }'))).toEqual([
      'x.yml:9: triage.checks.0.fail.min: fail.min 0.1 is above max 0.02: values above 0.02 would FAIL up to 0.1 and the worse ones from 0.1 be INCONCLUSIVE; to fail above 0.1, write fail: { max: 0.1 }',
    ]);
    expect(problemsOf(check('min: 0.8, fail: { max: 0.5 }'))).toEqual([
      'x.yml:9: triage.checks.0.fail.max: fail.max 0.5 is below min 0.8: values below 0.8 would FAIL down to 0.5 and the worse ones from 0.5 be INCONCLUSIVE; to fail below 0.5, write fail: { min: 0.5 }',
    ]);
    for (const fine of [
      'max: 0.02, fail: { max: 0.1 }',
      'min: 0.8, max: 0.9, fail: { min: 0.5 }',
      'max: 0.02, fail: { min: 0, max: 0.1 }', // fail.min on a side the pass range leaves open: no effect
      'max: 0.02, fail: { min: 0.02 }',
    ])
      expect(parseRunbook(check(fine), 'x.yml').ok, fine).toBe(true);
  });

  it('judge several series by the worst of them unless told otherwise: the lowest for a min-only check', () => {
    const checks = runbookYaml(
      'm1',
      [
        'triage:',
        '  checks:',
        '    - { name: approval rate, kind: business, query: q, min: 0.8 }',
        '    - { name: error rate, kind: error, query: q, max: 0.02 }',
        '    - { name: score, kind: business, query: q, min: 0.1, max: 0.9 }',
        '    - { name: traffic, kind: business, query: q, min: 100, reduce: sum }',
      ].join('\n'),
    );
    const parsed = parseRunbook(checks, 'x.yml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.runbook.triage.checks.map((check) => check.reduce)).toEqual(['min', 'max', 'max', 'sum']);
  });

  it('refuse a channel ID among approvers and escalation mentions: a channel can neither approve nor be paged', () => {
    const fix =
      'expected a Slack user ID (U…/W…) or user-group ID (S…) such as U024BE7LH or S0614TZR7; a channel (C…/G…) cannot approve or be mentioned';
    expect(problemsOf(runbookYaml('m1', 'rollback: { approvers: [U0ANA, C0FRAUD01] }'))).toEqual([
      `x.yml:7: rollback.approvers.1: ${fix}`,
    ]);
    expect(problemsOf(runbookYaml('m1').replace('[S0PLATFORM]', '[G0PRIVATE1]'))).toEqual([
      `x.yml:6: escalation.mention.0: ${fix}`,
    ]);
    const people = runbookYaml('m1', 'rollback: { approvers: [U0ANA, W0GRID01, S0ONCALL] }');
    expect(parseRunbook(people, 'x.yml').ok).toBe(true);
  });

  it('refuse the two-person rule with one person among the approvers, since nobody else could approve', () => {
    expect(problemsOf(runbookYaml('m1', 'rollback: { policy: two-person, approvers: [U0ALICE01] }'))).toEqual(
      [
        'x.yml:7: rollback.approvers: the two-person rule needs a requester and a different approver, both among rollback.approvers, which names one person (U0ALICE01): no rollback could ever be approved; add a second person or a user group, or write policy: approve',
      ],
    );
    expect(
      problemsOf(runbookYaml('m1', 'rollback: { policy: two-person, approvers: [U0ALICE01, U0ALICE01] }')),
    ).toHaveLength(1);
    // Two people, a group (of any size Slack says) or anyone (no list) can.
    for (const approvers of ['[U0ALICE01, U0BOB0001]', '[S0ONCALL1]', '[]']) {
      const text = runbookYaml('m1', `rollback: { policy: two-person, approvers: ${approvers} }`);
      expect(parseRunbook(text, 'x.yml').ok).toBe(true);
    }
  });

  it('refuse a blank owner, check name, query or request-rate query, which would load and show or ask nothing', () => {
    const checks = 'triage: { checks: [ { name: " ", kind: error, query: "  ", max: 1 } ] }';
    const text = runbookYaml('m1', `${checks}\nimpact: { requestRate: " " }`).replace(
      'owner: "@ml"',
      'owner: " "',
    );
    expect(problemsOf(text)).toEqual([
      'x.yml:2: owner: is empty: write the owning team, like "@fraud-ml"',
      "x.yml:7: triage.checks.0.name: is empty: write the check's name, like error rate",
      'x.yml:7: triage.checks.0.query: is empty: write the PromQL query the check measures',
      "x.yml:8: impact.requestRate: is empty: write the PromQL query of the model's requests per second",
    ]);
  });

  it('refuse a channel ID among retro.mention, naming the field and the fix', () => {
    const fix =
      'expected a Slack user ID (U…/W…) or user-group ID (S…) such as U024BE7LH or S0614TZR7; a channel (C…/G…) cannot approve or be mentioned';
    expect(problemsOf(runbookYaml('m1', 'retro: { mention: [U0ANA, C0FRAUD01] }'))).toEqual([
      `x.yml:7: retro.mention.1: ${fix}`,
    ]);
    // One ID without the brackets is told the list form.
    expect(problemsOf(runbookYaml('m1', 'retro: { mention: S0FRAUDML }'))).toEqual([
      'x.yml:7: retro.mention: expected a list of Slack user (U…/W…) or user-group (S…) IDs, like [U024BE7LH, S0614TZR7] (got "S0FRAUDML")',
    ]);
  });

  it('mention the escalation.mention people in retrospective reminders unless retro.mention says who', () => {
    const runbookOf = (text: string) => {
      const result = parseRunbook(text, 'x.yml');
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      return result.runbook;
    };
    expect(runbookOf(runbookYaml('m1')).retro.mention).toEqual(['S0PLATFORM']);
    expect(runbookOf(runbookYaml('m1', 'retro: { mention: [U0ANA, S0FRAUDML] }')).retro.mention).toEqual([
      'U0ANA',
      'S0FRAUDML',
    ]);
    // An empty list is a choice: nobody is mentioned, whoever is paged.
    expect(runbookOf(runbookYaml('m1', 'retro: { mention: [] }')).retro.mention).toEqual([]);
    const noEscalation = runbookYaml('m1').replace('[S0PLATFORM]', '[]');
    expect(runbookOf(noEscalation).retro.mention).toEqual([]);
    // retro.due is read as before beside it.
    expect(runbookOf(runbookYaml('m1', 'retro: { due: 24h, mention: [U0ANA] }')).retro).toEqual({
      due: 86_400_000,
      mention: ['U0ANA'],
    });
  });

  it('require a drill target', () => {
    expect(problemsOf(runbookYaml('m1', 'drill: { schedule: quarterly }'))).toEqual([
      'x.yml:7: drill: a drill needs a target: give drill.serving (e.g. the staging deployment) or dryRun: true',
    ]);
  });

  it('refuse a drill target that is the production deployment, which a drill would roll back', () => {
    const production = 'serving: { adapter: kserve, namespace: ml-prod, name: m1 }';
    expect(problemsOf(runbookYaml('m1', `drill: { ${production} }`))).toEqual([
      'x.yml:7: drill.serving: the drill target is the production deployment (serving): every drill would roll back production; point drill.serving at a staging deployment, or write dryRun: true to plan only',
    ]);
    // Planning only changes nothing, so a production target kept under dryRun: true still loads.
    expect(parseRunbook(runbookYaml('m1', `drill: { dryRun: true, ${production} }`), 'x.yml').ok).toBe(true);
    // Another namespace is another deployment.
    expect(
      parseRunbook(
        runbookYaml('m1', 'drill: { serving: { adapter: kserve, namespace: ml-staging, name: m1 } }'),
        'x.yml',
      ).ok,
    ).toBe(true);
  });

  it('refuse a drill schedule with more than 100 days between drills, which keeps the deploy gate closed', () => {
    // Twice a year: the gate closes 100 days after each passed drill and stays closed until the next one.
    expect(problemsOf(runbookYaml('m1', 'drill: { schedule: "0 10 15 1,7 *", dryRun: true }'))).toEqual([
      'x.yml:7: drill.schedule: "0 10 15 1,7 *" leaves up to 184d between drills, but a model with no successful drill in 100d has its deployment gate closed: schedule a drill at least every 100 days (quarterly, or a cron expression like "0 10 15 1,4,7,10 *")',
    ]);
    // A 29 February that is a Monday: once in decades.
    expect(problemsOf(runbookYaml('m1', 'drill: { schedule: "0 10 29 2 1", dryRun: true }'))[0]).toMatch(
      /^x\.yml:7: drill\.schedule: "0 10 29 2 1" leaves up to \d+d between drills/,
    );
    // Five drills a day apart each January still leave a year after them (362 days when it holds a 29 February).
    expect(problemsOf(runbookYaml('m1', 'drill: { schedule: "0 10 1-5 1 *", dryRun: true }'))[0]).toMatch(
      /leaves up to 36[12]d between drills/,
    );
    for (const often of ['quarterly', '0 10 15 */3 *', '0 10 * * 2', '0 10 1 * *', '0 10 L 1,4,7,10 *'])
      expect(
        parseRunbook(runbookYaml('m1', `drill: { schedule: "${often}", dryRun: true }`), 'x.yml').ok,
      ).toBe(true);
  });

  it('report an alias to a missing anchor, and an alias bomb, at their line instead of throwing', () => {
    expect(problemsOf(runbookYaml('m1', 'rollback:\n  approvers: *oncall'))).toEqual([
      'x.yml:8: the alias *oncall names no anchor: define &oncall before it, or fix the name',
    ]);
    const bomb = [
      'a: &a [x, x, x]',
      'b: &b [*a, *a, *a]',
      'c: &c [*b, *b, *b]',
      'd: &d [*c, *c, *c]',
      'e: [*d, *d, *d]',
    ];
    expect(problemsOf(bomb.join('\n'))).toEqual([
      'x.yml:2: aliases expand to more than 100 nodes: write the values out instead of nesting aliases',
    ]);
    // A few aliases are normal YAML and still load.
    const reused = runbookYaml(
      'm1',
      'escalation: { mention: &oncall [S0PLATFORM] }\nrollback: { approvers: *oncall }',
    );
    expect(parseRunbook(reused.replace('escalation: { mention: [S0PLATFORM] }\n', ''), 'x.yml').ok).toBe(
      true,
    );
  });

  it('take a merge key (<<), which "remove it" would have turned into a runbook silently missing its fields', () => {
    // drill.serving as production's serving block with another namespace: the merged fields load, and the
    // fields written beside `<<` win over them.
    const text = runbookYaml('m1', 'drill:\n  serving: { <<: *prod, namespace: ml-staging }').replace(
      'serving: {',
      'serving: &prod {',
    );
    const result = parseRunbook(text, 'x.yml');
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.runbook.drill?.serving).toEqual({ ...result.runbook.serving, namespace: 'ml-staging' });
    expect(problemsOf(runbookYaml('m1', 'rollback:\n  <<: 5'))).toEqual([
      'x.yml:8: rollback.<<: a merge key (<<) takes a mapping or an alias of one (<<: *name), not 5',
    ]);
  });

  it('refuse a drill schedule that drills more than once a day, as a `*` for the minute would', () => {
    expect(problemsOf(runbookYaml('m1', 'drill: { schedule: "* 10 15 1,4,7,10 *", dryRun: true }'))).toEqual([
      'x.yml:7: drill.schedule: "* 10 15 1,4,7,10 *" drills 60 times on each day it runs (every second, minute and hour it lists), while a drill waits up to a day for its decision and each further one would be skipped: give one minute and one hour, like "0 10 15 1,4,7,10 *"',
    ]);
    expect(problemsOf(runbookYaml('m1', 'drill: { schedule: "0 9-17/4 * * 1", dryRun: true }'))[0]).toMatch(
      /drills 3 times on each day it runs/,
    );
  });

  it('refuse a drill schedule that is not cron and a time zone that does not exist', () => {
    expect(problemsOf(runbookYaml('m1', 'drill: { schedule: every other tuesday, dryRun: true }'))).toEqual([
      'x.yml:7: drill.schedule: "every other tuesday" is not a cron expression: write quarterly, or five cron fields like "0 10 * * 2" (10:00 every Tuesday)',
    ]);
    expect(problemsOf(runbookYaml('m1', 'drill: { timezone: Mars/Olympus_Mons, dryRun: true }'))).toEqual([
      'x.yml:7: drill.timezone: "Mars/Olympus_Mons" is not a time zone: write an IANA name such as Europe/Dublin, America/New_York or UTC',
    ]);
    const good = parseRunbook(
      runbookYaml('m1', 'drill: { schedule: "0 10 * * 2", timezone: Europe/Dublin, dryRun: true }'),
      'x.yml',
    );
    expect(good.ok && good.runbook.drill).toMatchObject({
      schedule: '0 10 * * 2',
      timezone: 'Europe/Dublin',
    });
  });

  it('refuse a zero target, naming the field, what zero would do and the fix', () => {
    expect(problemsOf(runbookYaml('m1', 'targets: { triage: 0s }'))).toEqual([
      'x.yml:7: targets.triage: a target of zero is missed the moment its stage starts, so every incident would escalate at once; write a duration above zero, like 30s, 5m or 48h',
    ]);
  });

  const http = 'serving: { adapter: http, rollback: { url: "https://router.test/r" }, ZERO }';
  const command = 'serving: { adapter: command, argv: [rollback], ZERO }';
  it.each([
    ['targets.detect', 'targets: { detect: ZERO }'],
    ['targets.rollback', 'targets: { rollback: ZERO }'],
    ['targets.confirm', 'targets: { confirm: ZERO }'],
    ['targets.retro', 'targets: { retro: ZERO }'],
    ['retro.due', 'retro: { due: ZERO }'],
    ['triage.interval', 'triage: { interval: ZERO }'],
    ['triage.trend', 'triage: { trend: ZERO }'],
    ['confirm.interval', 'confirm: { interval: ZERO }'],
    ['drill.remind.1', 'drill: { dryRun: true, remind: [1d, ZERO] }'],
    ['watch', 'watch: ZERO'],
    ['serving.timeout', http.replace('ZERO', 'timeout: ZERO')],
    ['serving.eta', http.replace('ZERO', 'eta: ZERO')],
    ['serving.timeout', command.replace('ZERO', 'timeout: ZERO')],
    ['serving.eta', command.replace('ZERO', 'eta: ZERO')],
  ])('refuse a zero %s (%s), however it is written', (field, yaml) => {
    for (const zero of ['0s', '0m', '0h0m', '0.4ms']) {
      const extra = yaml.replace('ZERO', zero);
      // A serving block of the test's own replaces the helper's kserve one.
      const text = extra.startsWith('serving:')
        ? runbookYaml('m1').replace(/^serving: .*$/m, extra)
        : runbookYaml('m1', extra);
      expect(problemsOf(text)).toEqual([
        expect.stringMatching(new RegExp(`^x\\.yml:\\d+: ${field}: .*; write a duration above zero`)),
      ]);
    }
  });

  /** The runbook with `yaml` in it (a serving block replacing the helper's), and the problem refusing `field`. */
  const tooLong = (field: string, yaml: string, max: string) => ({
    text: yaml.startsWith('serving:')
      ? runbookYaml('m1').replace(/^serving: .*$/m, yaml)
      : runbookYaml('m1', yaml),
    pattern: new RegExp(
      `^x\\.yml:\\d+: ${field}: ".+" is above the maximum .* of ${max}; write ${max} or less$`,
    ),
  });
  it.each([
    ['targets.detect', 'targets: { detect: TOO }', '7d'],
    ['targets.triage', 'targets: { triage: TOO }', '7d'],
    ['targets.rollback', 'targets: { rollback: TOO }', '7d'],
    ['targets.confirm', 'targets: { confirm: TOO }', '7d'],
    ['targets.retro', 'targets: { retro: TOO }', '30d'],
    ['retro.due', 'retro: { due: TOO }', '30d'],
    ['triage.interval', 'triage: { interval: TOO }', '1d'],
    ['triage.trend', 'triage: { trend: TOO }', '7d'],
    ['confirm.interval', 'confirm: { interval: TOO }', '1d'],
    ['confirm.initialDelay', 'confirm: { initialDelay: TOO }', '1d'],
    ['drill.remind.1', 'drill: { dryRun: true, remind: [1d, TOO] }', '30d'],
    ['watch', 'watch: TOO', '30d'],
    ['serving.timeout', http.replace('ZERO', 'timeout: TOO'), '1d'],
    ['serving.eta', http.replace('ZERO', 'eta: TOO'), '1d'],
    ['serving.timeout', command.replace('ZERO', 'timeout: TOO'), '1d'],
    ['serving.eta', command.replace('ZERO', 'eta: TOO'), '1d'],
  ])('refuse a %s (%s) above its maximum of %s, naming the value and the maximum', (field, yaml, max) => {
    // Just over the maximum, and the 1000000000d that loaded before and overflowed every deadline computed from it.
    for (const over of [`${max}1s`, '1000000000d', '99999999999999999999999999999999999999d']) {
      const { text, pattern } = tooLong(field, yaml.replace('TOO', over), max);
      const problems = problemsOf(text);
      expect(problems).toContainEqual(expect.stringMatching(pattern));
      expect(problems.find((problem) => pattern.test(problem))).toContain(`"${over}"`);
    }
  });

  it.each([
    ['watch: 30d', 'watch', 30 * 86_400_000],
    ['targets: { triage: 7d }', 'triage', 7 * 86_400_000],
    ['retro: { due: 30d }', 'retro', 30 * 86_400_000],
  ])('take %s, a duration at its maximum', (yaml, field, ms) => {
    const parsed = parseRunbook(runbookYaml('m1', yaml), 'x.yml');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const got =
      field === 'watch'
        ? parsed.runbook.watch
        : field === 'triage'
          ? parsed.runbook.targets.triage
          : parsed.runbook.retro.due;
    expect(got).toBe(ms);
  });

  it('take a zero confirm.initialDelay: measuring right after the switch is a choice, not a mistake', () => {
    const parsed = parseRunbook(runbookYaml('m1', 'confirm: { initialDelay: 0s }'), 'x.yml');
    expect(parsed.ok && parsed.runbook.confirm.initialDelay).toBe(0);
  });

  it('refuse label names that JavaScript objects reserve, and an empty alerts.match', () => {
    expect(problemsOf(runbookYaml('m1', 'alerts:\n  match:\n    __proto__: fraud'))).toEqual([
      'x.yml:9: alerts.match.__proto__: "__proto__" cannot be used as a name here (it is reserved in JavaScript objects); rename or remove it',
    ]);
    expect(problemsOf(runbookYaml('m1', 'alerts: { match: { model: m1, constructor: x } }'))).toEqual([
      'x.yml:7: alerts.match.constructor: "constructor" cannot be used as a name here (it is reserved in JavaScript objects); rename or remove it',
    ]);
    expect(problemsOf(runbookYaml('m1', 'severity: { map: { Prototype: 1 } }'))).toEqual([
      'x.yml:7: severity.map.Prototype: "Prototype" cannot be used as a name here (it is reserved in JavaScript objects); rename or remove it',
    ]);
    expect(problemsOf(runbookYaml('m1', 'alerts: { match: {} }'))).toEqual([
      'x.yml:7: alerts.match: needs at least one label; to route alerts labelled model: <model>, leave alerts.match out',
    ]);
  });
});

describe('loading a folder', () => {
  async function folder(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'rollbot-runbooks-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }

  it('refuses a file named after another model and two runbooks routing the same labels', async () => {
    const dir = await folder({
      'a.yml': runbookYaml('a', 'alerts: { match: { team: ml } }'),
      'b.yml': runbookYaml('b', 'alerts: { match: { team: ml } }'),
      'c.yml': runbookYaml('d'),
    });
    const { problems } = await loadRunbooks(dir);
    expect(problems.map((p) => p.message)).toEqual([
      'the same labels already route to ' +
        join(dir, 'a.yml') +
        ': alerts could not tell the two apart; add a label',
      'the file is named c.yml but describes "d": rename it to d.yml, or, if "d" is the typo, write model: c',
    ]);
  });

  it('names only the rename for a file whose name is no model name', async () => {
    const dir = await folder({ 'Fraud Scorer.yml': runbookYaml('fraud-scorer') });
    const { problems } = await loadRunbooks(dir);
    expect(problems.map((p) => p.message)).toEqual([
      'the file is named Fraud Scorer.yml but describes "fraud-scorer": rename it to fraud-scorer.yml',
    ]);
  });

  it('puts a problem found across files on the line of its field, not on a leading comment', async () => {
    const dir = await folder({
      'a.yml': runbookYaml('a', 'alerts: { match: { team: ml } }'),
      'b.yml': `# the ranking model\n${runbookYaml('b', 'alerts: { match: { team: ml } }')}`,
      'c.yml': `# renamed last week\n${runbookYaml('d')}`,
    });
    const { problems } = await loadRunbooks(dir);
    expect(problems.map(formatProblem)).toEqual([
      `${join(dir, 'b.yml')}:8: alerts.match: the same labels already route to ${join(dir, 'a.yml')}: alerts could not tell the two apart; add a label`,
      `${join(dir, 'c.yml')}:2: model: the file is named c.yml but describes "d": rename it to d.yml, or, if "d" is the typo, write model: c`,
    ]);
  });

  it('names a file it cannot read and goes on with the others, rather than stop with a stack trace', async () => {
    const dir = await folder({ 'a.yml': runbookYaml('a').replace('tier: 1', 'tier: 7') });
    // A dangling link (a ConfigMap key removed under a mounted folder) and a folder that looks like a runbook.
    await symlink(join(dir, 'gone.yml'), join(dir, 'b.yml'));
    await mkdir(join(dir, 'c.yml'));
    const { problems } = await loadRunbooks(dir);
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(/a\.yml:\d+: tier: /),
      `${join(dir, 'b.yml')}: cannot read the file (ENOENT: no such file or directory): fix it or remove it from the runbooks folder`,
      `${join(dir, 'c.yml')}: cannot read the file (EISDIR: it is a folder): fix it or remove it from the runbooks folder`,
    ]);
  });

  it('refuses a runbook file over 1 MiB without reading it, naming its size and the limit, and loads the others', async () => {
    // A runbook padded with a comment to the limit exactly loads; one a byte longer is refused.
    const padded = (model: string, bytes: number) => {
      const text = runbookYaml(model);
      return `${text}#${'x'.repeat(bytes - text.length - 2)}\n`;
    };
    const dir = await folder({ 'a.yml': padded('a', 1024 * 1024), 'b.yml': padded('b', 1024 * 1024 + 1) });
    // Sparse: 500 MB that would take seconds and gigabytes to read and parse, as a dump linked by mistake would.
    const dump = join(dir, 'c.yml');
    await writeFile(dump, '');
    await truncate(dump, 500 * 1024 * 1024);
    const { runbooks, problems } = await loadRunbooks(dir);
    expect(runbooks.map((runbook) => runbook.model)).toEqual(['a']);
    expect(problems.map(formatProblem)).toEqual([
      `${join(dir, 'b.yml')}: not read: the file is 1,048,577 bytes, over the 1 MiB (1,048,576 bytes) a runbook may be (they are a few KB): point it at the runbook meant, or remove it from the runbooks folder`,
      `${join(dir, 'c.yml')}: not read: the file is 524,288,000 bytes, over the 1 MiB (1,048,576 bytes) a runbook may be (they are a few KB): point it at the runbook meant, or remove it from the runbooks folder`,
    ]);
  });

  it('refuses a folder of more than 1,000 runbook files, reading none: not a runbooks folder', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 1001 }, (_, n) => [`m${n}.yml`, 'not: [a runbook']),
    );
    const dir = await folder({ ...files, 'notes.txt': 'not counted' });
    const { runbooks, problems } = await loadRunbooks(dir);
    expect(runbooks).toEqual([]);
    expect(problems.map(formatProblem)).toEqual([
      `${dir}: holds 1,001 runbook files (*.yml, *.yaml), more than the 1,000 rollbot reads, so none was read: set RUNBOOKS_DIR to the folder of runbooks`,
    ]);
    expect((await loadRunbooks(dir, 'validate')).problems.map(formatProblem)).toEqual([
      `${dir}: holds 1,001 runbook files (*.yml, *.yaml), more than the 1,000 rollbot reads, so none was read: give rollbot validate the folder of runbooks`,
    ]);
    // At the limit, each is read (and here found no runbook).
    const fewer = await folder(Object.fromEntries(Object.entries(files).slice(0, 1000)));
    expect((await loadRunbooks(fewer)).problems).toHaveLength(1000);
  });

  it('refuses a runbook name that is not a regular file (a link to a device or a pipe), which may never end', async () => {
    const dir = await folder({ 'a.yml': runbookYaml('a') });
    await symlink('/dev/null', join(dir, 'b.yml'));
    const { runbooks, problems } = await loadRunbooks(dir);
    expect(runbooks.map((runbook) => runbook.model)).toEqual(['a']);
    expect(problems.map(formatProblem)).toEqual([
      `${join(dir, 'b.yml')}: not read: not a regular file (a device, a pipe or a socket): point it at a runbook file or remove it from the runbooks folder`,
    ]);
  });

  it('names a runbook with an upper-case extension, rather than skip it and leave its model unrouted', async () => {
    const dir = await folder({
      'a.yml': runbookYaml('a'),
      'b.YAML': runbookYaml('b'),
      'c.Yml': runbookYaml('c'),
    });
    const { runbooks, problems } = await loadRunbooks(dir);
    expect(runbooks.map((runbook) => runbook.model)).toEqual(['a']);
    expect(problems.map(formatProblem)).toEqual([
      `${join(dir, 'b.YAML')}: not read: runbooks are read from *.yml and *.yaml files, in lower case; rename it to b.yaml`,
      `${join(dir, 'c.Yml')}: not read: runbooks are read from *.yml and *.yaml files, in lower case; rename it to c.yml`,
    ]);
  });

  it('names a subfolder holding runbooks, which are not read, rather than skip them without a word', async () => {
    const dir = await folder({ 'a.yml': runbookYaml('a') });
    await mkdir(join(dir, 'fraud'));
    await writeFile(join(dir, 'fraud', 'b.yml'), runbookYaml('b'));
    await writeFile(join(dir, 'fraud', 'c.yaml'), runbookYaml('c'));
    // A folder of other files, and hidden ones (a mounted ConfigMap's ..data), are nobody's runbooks.
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'notes.md'), '# notes');
    await mkdir(join(dir, '..data'));
    await writeFile(join(dir, '..data', 'a.yml'), runbookYaml('a'));
    const { runbooks, problems } = await loadRunbooks(dir);
    expect(runbooks.map((runbook) => runbook.model)).toEqual(['a']);
    expect(problems.map(formatProblem)).toEqual([
      `${join(dir, 'fraud')}: holds b.yml, c.yaml, which are not read: runbooks are read from the folder itself, not its subfolders; move them up into ${dir}`,
    ]);
  });

  it('stops start-up with every problem listed', async () => {
    const dir = await folder({ 'a.yml': runbookYaml('a').replace('tier: 1', 'tier: 7') });
    await expect(loadRunbooksOrThrow(dir)).rejects.toThrow(/a\.yml:\d+: tier: /);
    await expect(loadRunbooksOrThrow(join(dir, 'missing'))).rejects.toThrow(
      /cannot read the runbooks folder/,
    );
    await expect(loadRunbooksOrThrow(await folder({}))).rejects.toThrow(/no runbooks/);
  });
});
