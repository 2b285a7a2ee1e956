/**
 * What people see when a KServe re-apply lands but the webhook rewrote the spec CI recorded from its manifest:
 * through rollback() and the restart recovery with the real adapter against the API (nock, exact requests).
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { beginRollback } from '../../../src/core/rollback.js';
import { scheduleStageTarget } from '../../../src/engine/escalation.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { recoverInterruptedRollbacks } from '../../../src/engine/recovery.js';
import { rollback } from '../../../src/engine/rollback.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';
import {
  admittedPredictor,
  ISVC_PATH,
  K8S_SERVER,
  manifestPredictor,
  REAPPLY_V41,
  standardKserve,
} from '../../helpers/kserve.js';

const MODEL = 'fraud-scorer';
const k8s = () => nock(K8S_SERVER, { reqheaders: { authorization: 'Bearer t' } });

/** Standard mode after a promotion, Ready at `observed`. */
const isvc = (predictor: object, generation: number, observed = generation) => ({
  metadata: { name: MODEL, namespace: 'ml-prod', generation, resourceVersion: String(1000 + generation) },
  spec: { predictor, canary: [] },
  status: { observedGeneration: observed, conditions: [{ type: 'Ready', status: 'True' }] },
});

function depsOnKserve(): TestDeps {
  const adapter = standardKserve(2_000);
  return { ...makeDeps(), serving: () => adapter };
}

async function recordedByCi(deps: TestDeps): Promise<void> {
  for (const n of [41, 42]) {
    await deps.store.recordDeployment({
      model: MODEL,
      version: `v${n}`,
      strategy: 'rolling',
      at: n,
      by: 'ci',
      spec: { predictor: manifestPredictor(n) },
    });
  }
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe('a KServe re-apply of a spec the webhook rewrote', () => {
  it('is reported as landed once KServe is Ready with it, not as FAILED after twice its ETA', async () => {
    const deps = depsOnKserve();
    await recordedByCi(deps);
    const calls = k8s()
      .get(ISVC_PATH)
      .times(2)
      .reply(200, isvc(admittedPredictor(42), 7))
      .patch(ISVC_PATH, REAPPLY_V41)
      .query({ dryRun: 'All' })
      .reply(200, isvc(admittedPredictor(41), 8, 7))
      .patch(ISVC_PATH, REAPPLY_V41)
      .reply(200, isvc(admittedPredictor(41), 8, 7))
      .get(ISVC_PATH)
      .reply(200, isvc(admittedPredictor(41), 8))
      .patch(ISVC_PATH, REAPPLY_V41)
      .query({ dryRun: 'All' })
      .reply(200, isvc(admittedPredictor(41), 9, 8));

    const result = await rollback(deps, {
      model: MODEL,
      to: 'v41',
      reason: 'errors',
      by: 'cli:ana',
      trigger: 'cli',
    });

    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ outcome: 'succeeded', plan: { to: 'v41', regime: 'redeploy' } });
    expect(calls.isDone()).toBe(true);
  });

  describe('after a restart mid-rollback', () => {
    async function interrupted(deps: TestDeps): Promise<void> {
      await ingestAlerts(deps, [firing(MODEL, deps.clock.now())]);
      const plan = {
        from: 'v42',
        to: 'v41',
        regime: 'redeploy' as const,
        etaMs: 300_000,
        actions: [],
        data: { mode: 'standard', component: 'predictor', reapply: manifestPredictor(41) },
      };
      const { incident } = await mutateIncident(deps.store, 'INC-1', (current) =>
        beginRollback(current, {
          plan,
          target: `kserve ml-prod/${MODEL}`,
          by: 'U0ONCALL',
          trigger: 'slack',
          reason: 'errors',
          at: deps.clock.now(),
        }),
      );
      await scheduleStageTarget(deps, incident, 'rollback');
    }

    it('re-reads the layer and follows the rollback that took effect, not "outcome unknown"', async () => {
      const deps = depsOnKserve();
      await interrupted(deps);
      k8s()
        .get(ISVC_PATH)
        .reply(200, isvc(admittedPredictor(41), 8))
        .patch(ISVC_PATH, REAPPLY_V41)
        .query({ dryRun: 'All' })
        .reply(200, isvc(admittedPredictor(41), 9, 8));

      expect(await recoverInterruptedRollbacks(deps)).toBe(1);

      expect(await deps.store.getIncident('INC-1')).toMatchObject({ rollback: { status: 'succeeded' } });
      const texts = (await deps.store.list('INC-1')).map((entry) => entry.text);
      expect(texts.join('\n')).toContain(
        `kserve ml-prod/${MODEL} shows traffic on v41, so the interrupted rollback took effect`,
      );
      expect(deps.notifier.ofType('escalation')).toEqual([]);
    });

    it('says exactly what it cannot tell when the dry run is refused, and claims no success', async () => {
      const deps = depsOnKserve();
      await interrupted(deps);
      k8s()
        .get(ISVC_PATH)
        .reply(200, isvc(admittedPredictor(41), 8))
        .patch(ISVC_PATH, REAPPLY_V41)
        .query({ dryRun: 'All' })
        .reply(400, { kind: 'Status', message: 'webhook does not support dry run', code: 400 });

      expect(await recoverInterruptedRollbacks(deps)).toBe(1);

      expect((await deps.store.getIncident('INC-1'))?.rollback?.status).toBe('unknown');
      expect(deps.notifier.ofType('escalation')[0]?.text).toContain(
        `outcome unknown after a restart; kserve ml-prod/${MODEL} could not be checked (cannot tell whether ` +
          `InferenceService ml-prod/${MODEL} runs the predictor spec recorded for v41: asking the API server ` +
          'what that spec becomes once admitted (the same patch with ?dryRun=All) failed',
      );
      // With what to do about it, as the live rollback's failure says it.
      expect(deps.notifier.ofType('escalation')[0]?.text).toContain(
        `kubectl get inferenceservice ${MODEL} -n ml-prod -o yaml`,
      );
    });
  });
});
