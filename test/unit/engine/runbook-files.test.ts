/**
 * Hints that tell someone to edit or add a runbook name the file where the bot reads it: RUNBOOKS_DIR (the
 * Deployment's `/runbooks`), and the model's own file (`.yaml` too), not always `runbooks/<model>.yml`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { authorize } from '../../../src/engine/authorize.js';
import { RunbookSet } from '../../../src/engine/runbook-set.js';
import { loadRunbooksOrThrow } from '../../../src/runbooks/load.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the runbook file a hint names', () => {
  it('is the file the model was read from, and <RUNBOOKS_DIR>/<model>.yml for a model without one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rollbot-runbooks-'));
    dirs.push(dir);
    const example = await readFile('runbooks/fraud-scorer.yml', 'utf8');
    await writeFile(join(dir, 'fraud-scorer.yaml'), example);
    const loaded = await loadRunbooksOrThrow(`${dir}/`);
    const runbooks = new RunbookSet(loaded.runbooks, { dir: `${dir}/`, files: loaded.files });

    expect(runbooks.fileOf('fraud-scorer')).toBe(join(dir, 'fraud-scorer.yaml'));
    expect(() => runbooks.require('churn-predictor')).toThrow(
      expect.objectContaining({
        hint: expect.stringContaining(`add ${dir}/churn-predictor.yml to manage it`),
      }),
    );
  });

  it('is named by a refusal to someone the runbook does not allow', async () => {
    const runbook = makeRunbook('fraud-scorer', 'rollback: { approvers: [U0LEAD] }');
    const deps = {
      ...makeDeps({ runbooks: [runbook] }),
      runbooks: new RunbookSet([runbook], { dir: '/runbooks' }),
    };
    await expect(
      authorize(deps, runbook, { id: 'U0SOMEONE', groups: [] }, 'roll back'),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      hint: expect.stringContaining('add yourself to rollback.approvers in /runbooks/fraud-scorer.yml'),
    });
  });
});
