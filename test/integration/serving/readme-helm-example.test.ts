/**
 * runbooks/README.md's `command` example, run as written against a stand-in for helm that keeps a release
 * history as helm does: `helm rollback <release> 2` makes a new revision (4, "Rollback to 2"). The example's
 * statusArgv must print 2 then, in the terms argv takes; printing the newest revision (4), rollbot would
 * never see the rollback land, and would run helm rollback again on a retry.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecuteContext, RollbackPlan } from '../../../src/engine/serving-port.js';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { formatProblem } from '../../../src/runbooks/problems.js';
import { createServingFactory } from '../../../src/serving/index.js';

const readme = readFileSync(new URL('../../../runbooks/README.md', import.meta.url), 'utf8');
const example = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((match) => match[1] ?? '')
  .find((yaml) => yaml.includes('adapter: command'));

const run: ExecuteContext = {
  idempotencyKey: 'INC-9:rollback:1',
  fence: 2,
  incidentId: 'INC-9',
  model: 'fraud-scorer',
  reason: 'approval rate dropped',
};

/** A helm that answers `history <release> … -o json` and records `rollback <release> <revision> …`. */
function fakeHelm(dir: string, history: string): void {
  const script = `#!${process.execPath}
const fs = require('fs');
const history = JSON.parse(fs.readFileSync(${JSON.stringify(history)}, 'utf8'));
const [command, , revision] = process.argv.slice(2);
if (command === 'history') process.stdout.write(JSON.stringify(history));
else if (command === 'rollback') {
  for (const entry of history) if (entry.status === 'deployed') entry.status = 'superseded';
  history.push({ revision: history.length + 1, status: 'deployed', chart: 'fraud-scorer-1.2.0',
    description: 'Rollback to ' + revision });
  fs.writeFileSync(${JSON.stringify(history)}, JSON.stringify(history));
} else process.exit(64);
`;
  writeFileSync(join(dir, 'helm'), script);
  chmodSync(join(dir, 'helm'), 0o755);
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollbot-helm-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("runbooks/README.md's command example (helm)", () => {
  it('reads the revision a rollback went back to, so that the rollback is seen to land and not run twice', async () => {
    expect(example).toBeDefined();
    const history = join(dir, 'history.json');
    writeFileSync(
      history,
      JSON.stringify([
        { revision: 1, status: 'superseded', description: 'Install complete' },
        { revision: 2, status: 'superseded', description: 'Upgrade complete' },
        { revision: 3, status: 'deployed', description: 'Upgrade complete' },
      ]),
    );
    fakeHelm(dir, history);
    const text = `model: fraud-scorer\nowner: "@ml"\nchannel: C0TEST0001\n${example ?? ''}`;
    const result = parseRunbook(text, 'fraud-scorer.yml');
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    // The example's cwd (/srv/deploy) is the operator's; here the programs run from the test's directory.
    const serving = { ...result.runbook.serving, cwd: dir };
    const adapter = createServingFactory({ env: { PATH: `${dir}:${process.env.PATH ?? ''}` } })(serving, {
      model: 'fraud-scorer',
    });

    expect((await adapter.state()).current).toBe('3');
    const plan: RollbackPlan = { from: '3', to: '2', regime: 'redeploy', etaMs: 1, actions: [], data: {} };
    expect((await adapter.execute(plan, run)).mutated).toBe(true);
    expect(await adapter.onTarget(plan)).toBe(true);
    expect((await adapter.state()).current).toBe('2');
    // A retry (the same decision after a lost answer) reads the status first and runs nothing.
    expect(await adapter.execute(plan, run)).toMatchObject({ mutated: false });
    expect(JSON.parse(readFileSync(history, 'utf8'))).toHaveLength(4);
  });
});
