/**
 * A rollback asked for by model (CLI, API) while the model's drill waits for its decision goes to the drill, on
 * its drill target (one rule on every surface: the open incident is the drill). The answer must say so plainly:
 * the person at the terminal may have meant production.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { localBackend, remoteBackend } from '../../../src/cli/backend.js';
import { rollbackCommand } from '../../../src/cli/rollback.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { capture } from '../../helpers/cli.js';
import { snapshotGroups } from '../../helpers/engine.js';
import { FakeServing } from '../../helpers/fake-serving.js';
import { DRY, STAGING, drillDeps } from '../../helpers/drill-deps.js';
import { apiPost, json, serveApp } from '../../helpers/http.js';

let server: Awaited<ReturnType<typeof serveApp>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const STAGING_TARGET = 'fake ml-staging/fraud-scorer';

/** fraud-scorer with its drill INC-1 waiting for a decision, and the bot's HTTP API. */
async function drillWaiting(drill = STAGING) {
  const setup = drillDeps(drill);
  // The drill target's fake names itself as an adapter names its deployment: the answer must say which.
  const staging = new FakeServing(STAGING_TARGET);
  const serving = setup.deps.serving;
  setup.deps.serving = (config, context) =>
    serving(config, context) === setup.staging ? staging : serving(config, context);
  await startDrill(setup.deps, 'fraud-scorer', { by: 'schedule', auto: false });
  server = await serveApp(setup.deps);
  return { ...setup, staging, url: server.url };
}

function postRollback(url: string, body: Record<string, unknown>) {
  return apiPost(`${url}/api/rollbacks`, { model: 'fraud-scorer', reason: 'errors after v42', ...body });
}

async function runCli(args: string[], backend: Parameters<typeof rollbackCommand>[2]) {
  const { io, out, err } = capture();
  const code = await rollbackCommand(args, 'cli:ana', backend, io);
  return { code, out, err };
}

describe('POST /api/rollbacks while the model’s drill waits for its decision', () => {
  it('rolls back the drill on its drill target, and the answer says so, not production', async () => {
    const { url, staging, production } = await drillWaiting();
    const response = await postRollback(url, { requestedBy: 'U0ANA' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ outcome: 'succeeded', incidentId: 'INC-1', target: STAGING_TARGET });
    expect(body.drill).toEqual({
      incidentId: 'INC-1',
      note: `this was the rollback of the DRILL INC-1 of fraud-scorer, on its drill target ${STAGING_TARGET}, not production; to roll back production, end the drill first (rollbot resolve INC-1 --reason …), then roll back again`,
    });
    expect(staging.mutations).toBe(1);
    expect(production.mutations).toBe(0);
  });

  it('says so of a dry-run drill too: planned against production, nothing changed', async () => {
    const { url, production } = await drillWaiting(DRY);
    const body = await json(postRollback(url, {}));
    expect(body.drill.note).toMatch(
      /^this was the rollback of the DRILL INC-1 of fraud-scorer, a dry run: planned against fake ml-prod\/model and not executed, nothing changed;/,
    );
    expect(production.mutations).toBe(0);
  });
});

describe('rollbot rollback while the model’s drill waits for its decision', () => {
  it('over the API: prints that it rolled back the drill INC-1 on its drill target, not production', async () => {
    const { url } = await drillWaiting();
    const { code, out } = await runCli(['fraud-scorer', '--reason', 'errors after v42'], async () =>
      remoteBackend(url, 'api-t'),
    );
    expect(code).toBe(0);
    expect(out.slice(-2)).toEqual([
      'rolled fraud-scorer back to v41 (DRILL INC-1); the drill is scored in the channel — rollbot timeline INC-1',
      `This was the rollback of the DRILL INC-1 of fraud-scorer, on its drill target ${STAGING_TARGET}, not production; to roll back production, end the drill first (rollbot resolve INC-1 --reason …), then roll back again`,
    ]);
  });

  it('in-process, and with --dry-run, names the drill and its target', async () => {
    const { deps } = await drillWaiting();
    const backend = async () => localBackend({ ...deps, groupsOf: snapshotGroups(deps) });
    const planned = await runCli(['fraud-scorer', '--reason', 'look first', '--dry-run'], backend);
    expect(planned.out.slice(-2)).toEqual([
      expect.stringMatching(/^dry run: would roll fraud-scorer back v42 → v41 .*; nothing was changed$/),
      `This plans the rollback of the DRILL INC-1 of fraud-scorer, on its drill target ${STAGING_TARGET}, not production; to roll back production, end the drill first (rollbot resolve INC-1 --reason …), then roll back again`,
    ]);
    const done = await runCli(['fraud-scorer', '--reason', 'errors after v42'], backend);
    expect(done.out.at(-1)).toMatch(
      /^This was the rollback of the DRILL INC-1 of fraud-scorer, on its drill target/,
    );
  });
});
