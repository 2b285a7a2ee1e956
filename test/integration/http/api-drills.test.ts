import { afterEach, describe, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { permanent } from '../../helpers/fake-serving.js';
import { apiFetch, apiPost, json, serveApp } from '../../helpers/http.js';

const DRY_DRILL = 'drill: { dryRun: true }';

let server: Awaited<ReturnType<typeof serveApp>> | undefined;
afterEach(() => server?.close());

/** fraud-scorer drills as a dry run; churn-predictor has no drill configured. */
async function bot(): Promise<TestDeps> {
  const deps = makeDeps({
    runbooks: [makeRunbook('fraud-scorer', DRY_DRILL), makeRunbook('churn-predictor')],
  });
  server = await serveApp(deps);
  return deps;
}

function postDrill(body: unknown, token = 'api-t') {
  return apiPost(`${server?.url}/api/drills`, body, { authorization: `Bearer ${token}` });
}

describe('GET /api/drills', () => {
  it('lists every drilled model with its schedule, next two runs and last result', async () => {
    const deps = await bot();
    await postDrill({ model: 'fraud-scorer' });
    const body = await json(apiFetch(`${server?.url}/api/drills`));
    expect(body.drills).toHaveLength(1);
    expect(body.drills[0]).toMatchObject({
      model: 'fraud-scorer',
      schedule: 'quarterly',
      target: 'dry run (plan only, nothing changes)',
      lastSuccess: deps.clock.now(),
      last: { outcome: 'passed', incidentId: 'INC-1' },
    });
    expect(body.drills[0].next).toHaveLength(2);
  });
});

describe('POST /api/drills', () => {
  it('rehearses the rollback at once and answers with the drill incident and its scorecard', async () => {
    const deps = await bot();
    const response = await postDrill({ model: 'fraud-scorer', requestedBy: 'cli:ana' });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.incident).toMatchObject({ id: 'INC-1', drill: true, phase: 'closed' });
    expect(body.result).toMatchObject({ outcome: 'passed', incidentId: 'INC-1', problems: [] });
    expect(body.result.stages.map((stage: { stage: string }) => stage.stage)).toEqual([
      'triage',
      'rollback',
      'confirm',
    ]);
    expect(body.result.skipped).toEqual([{ stage: 'detect', why: 'a drill starts at detection' }]);
    expect(deps.fake.mutations).toBe(0);
    const timeline = await deps.store.list('INC-1');
    expect(timeline.find((entry) => entry.type === 'drill.started')?.actor).toBe('cli:ana');
  });

  it('answers 200 with the failed scorecard when the rehearsal finds a problem', async () => {
    const deps = await bot();
    deps.fake.stateErrors.push(permanent('HTTP 403: forbidden'));
    const body = await json(postDrill({ model: 'fraud-scorer' }));
    expect(body.result).toMatchObject({ outcome: 'failed' });
    expect(body.result.problems.join(' ')).toContain('403');
  });

  it('refuses bad requests with the reason and stores nothing', async () => {
    const deps = await bot();
    const cases: [unknown, string, number, string][] = [
      [{ model: 'fraud-scorer' }, 'wrong', 401, 'bearer token'],
      [{ model: 'fraud-scorrer' }, 'api-t', 404, 'fraud-scorer'],
      [{ model: 'churn-predictor' }, 'api-t', 400, 'no drill configured'],
      [{ model: 'fraud-scorer', dryrun: true }, 'api-t', 400, 'dryrun'],
    ];
    for (const [body, token, status, reason] of cases) {
      const response = await postDrill(body, token);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(await json(response))).toContain(reason);
    }
    expect(await deps.store.listIncidents({})).toEqual([]);
  });

  it('refuses a drill while the model has a real incident open', async () => {
    const deps = await bot();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const response = await postDrill({ model: 'fraud-scorer' });
    expect(response.status).toBe(409);
    expect((await json(response)).error.message).toContain('real incident open (INC-1)');
    expect((await deps.store.listIncidents({})).map((incident) => incident.id)).toEqual(['INC-1']);
  });
});
