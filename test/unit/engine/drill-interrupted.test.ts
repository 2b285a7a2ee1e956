import { describe, expect, it } from 'vitest';
import { drillHistory } from '../../../src/engine/drill.js';
import { startDrill } from '../../../src/engine/drill-start.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { rollback } from '../../../src/engine/rollback.js';
import { firing } from '../../helpers/alerts.js';
import { DRY, STAGING, drillDeps } from '../../helpers/drill-deps.js';
import type { TestDeps } from '../../helpers/engine.js';
import type { Store } from '../../../src/engine/ports.js';
import type { FakeServing } from '../../helpers/fake-serving.js';
import { afterCall } from '../../helpers/same-instant.js';

/** A real alert for fraud-scorer reaching `deps` (another replica on the same store); its incident's ID. */
async function realAlert(deps: TestDeps): Promise<string> {
  const [result] = await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  if (!result?.incidentId) throw new Error(`the alert opened no incident: ${JSON.stringify(result)}`);
  return result.incidentId;
}

async function types(deps: TestDeps, id: string): Promise<string[]> {
  return (await deps.store.list(id)).map((entry) => entry.type);
}

/** The real incident as a real alert leaves it: waiting for its own triage and decision, no rollback on it. */
async function expectUntouched(deps: TestDeps, id: string): Promise<void> {
  expect(await deps.store.getIncident(id)).toMatchObject({ drill: false, phase: 'triage' });
  expect((await deps.store.getIncident(id))?.decision).toBeUndefined();
  expect((await deps.store.getIncident(id))?.rollback).toBeUndefined();
  expect((await types(deps, id)).filter((type) => type.startsWith('rollback.'))).toEqual([]);
  expect(await deps.store.rolledBack('fraud-scorer')).toEqual({});
}

/**
 * Where a drill's rollback is when the real alert arrives, as it plans: its store, or the serving layers it plans
 * on, stall there for it. Returns what the drill's rollback runs on in place of the store.
 */
type Stall = (alert: () => Promise<unknown>, layers: FakeServing[]) => (store: Store) => Store;
const planning: [string, Stall][] = [
  [
    'its lock taken, before it reads the drill target',
    (alert) => afterCall('acquire', alert, (name) => name.startsWith('rollback:')),
  ],
  [
    'its plan made, before it records the decision',
    (alert, layers) => {
      const once = async () => {
        for (const layer of layers) layer.afterPlan = undefined;
        await alert();
      };
      for (const layer of layers) layer.afterPlan = once;
      return (store) => store;
    },
  ],
];

describe("a real alert that ends a drill while the drill's rollback plans", () => {
  describe.each([
    ['a dry-run drill', DRY],
    ['a staging drill', STAGING],
  ])('%s', (_, block) => {
    it.each(planning)(
      'deciding at once, %s: the rollback stops, and the real incident is left to its own decision',
      async (__, stall) => {
        const { deps, production, staging } = drillDeps(block);
        let realId = '';
        const drilling: TestDeps = {
          ...deps,
          store: stall(async () => (realId = await realAlert(deps)), [production, staging])(deps.store),
        };

        const drill = await startDrill(drilling, 'fraud-scorer', { by: 'schedule', auto: true });

        expect(production.calls).not.toContain('execute');
        expect(staging.calls).not.toContain('execute');
        await expectUntouched(deps, realId);
        expect(await types(deps, drill.id)).not.toContain('rollback.started');
        expect((await drillHistory(deps, 'fraud-scorer')).map((result) => result.problems)).toEqual([
          ['interrupted by a real alert (ModelErrorRateHigh)'],
        ]);
        expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();

        // The real incident's own rollback, once a person decides, is production's and goes on it.
        const real = await rollback(deps, {
          model: 'fraud-scorer',
          reason: 'error rate after v42',
          by: 'U0ONCALL',
          trigger: 'slack',
        });
        expect(real).toMatchObject({ outcome: 'succeeded', incidentId: realId, target: production.target });
        expect(production.mutations).toBe(1);
        expect((await deps.store.getIncident(realId))?.decision).toMatchObject({
          by: 'U0ONCALL',
          trigger: 'slack',
        });
      },
    );

    it.each(planning)(
      "a person deciding in the drill, %s: their rollback is refused as the drill's, and the real incident is left alone",
      async (__, stall) => {
        const { deps, production, staging } = drillDeps(block);
        const drill = await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false });
        let realId = '';
        const deciding: TestDeps = {
          ...deps,
          store: stall(async () => (realId = await realAlert(deps)), [production, staging])(deps.store),
        };

        const refusal = await rollback(deciding, {
          model: 'fraud-scorer',
          reason: 'drill',
          by: 'U0ONCALL',
          trigger: 'slack',
        }).then(
          () => undefined,
          (error: unknown) => error,
        );

        expect(refusal).toMatchObject({
          code: 'CONFLICT',
          message: expect.stringMatching(
            `^the drill ${drill.id} of fraud-scorer ended while its rollback was being planned`,
          ),
        });
        expect(production.calls).not.toContain('execute');
        expect(staging.calls).not.toContain('execute');
        await expectUntouched(deps, realId);
        expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();
      },
    );
  });
});

describe("a real alert that ends a drill while the drill's rollback executes", () => {
  it('the rollback acts on the drill target only, claims no success, and pages nobody', async () => {
    const { deps, production, staging } = drillDeps(STAGING);
    let realId = '';
    staging.duringExecute = async () => {
      staging.duringExecute = undefined;
      realId = await realAlert(deps);
    };

    const drill = await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: true });

    expect(production.calls).toEqual([]);
    await expectUntouched(deps, realId);
    const stored = await deps.store.getIncident(drill.id);
    expect(stored?.rollback).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^the drill INC-1 of fraud-scorer ended under its rollback/),
    });
    expect(await types(deps, drill.id)).not.toContain('rollback.succeeded');
    expect(deps.notifier.ofType('escalation').filter((event) => event.incident.id === drill.id)).toEqual([]);
    // Scored once, when the real alert ended it.
    expect((await drillHistory(deps, 'fraud-scorer')).map((result) => result.problems)).toEqual([
      ['interrupted by a real alert (ModelErrorRateHigh)'],
    ]);
    expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();
  });
});

describe("a real alert that ends a drill as the drill's rollback begins", () => {
  it('changes nothing on the drill target either', async () => {
    const { deps, production, staging } = drillDeps(STAGING);
    let realId = '';
    // Once the rollback is recorded as started on the drill, before it executes.
    const drilling: TestDeps = {
      ...deps,
      store: afterCall(
        'append',
        async () => (realId = await realAlert(deps)),
        (entry) => entry.type === 'rollback.started',
      )(deps.store),
    };

    const drill = await startDrill(drilling, 'fraud-scorer', { by: 'schedule', auto: true });

    expect(staging.calls).toEqual(['state', 'plan']);
    expect((await deps.store.getIncident(drill.id))?.rollback).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        /^the drill INC-1 of fraud-scorer ended under its rollback, before anything was changed/,
      ),
    });
    expect(production.calls).toEqual([]);
    await expectUntouched(deps, realId);
  });
});

describe("a real alert that ends a drill while the drill's rollback waits for its target", () => {
  it('stops waiting at once, so that the lock is free for the real incident', async () => {
    const { deps, production, staging } = drillDeps(STAGING);
    staging.stuck = true;
    let realId = '';
    // The first pause of the drill's rollback is its first wait for traffic on the target.
    const drilling: TestDeps = {
      ...deps,
      sleep: async (ms) => {
        deps.clock.advance(ms);
        if (!realId) realId = await realAlert(deps);
      },
    };

    const drill = await startDrill(drilling, 'fraud-scorer', { by: 'schedule', auto: true });

    expect(staging.calls.filter((call) => call === 'onTarget')).toHaveLength(2);
    expect((await deps.store.getIncident(drill.id))?.rollback).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        /^the drill INC-1 of fraud-scorer ended under its rollback, while it waited for traffic on v41/,
      ),
    });
    expect(production.calls).toEqual([]);
    await expectUntouched(deps, realId);
    expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();
  });
});

describe('a drill that starts while a real rollback plans with no incident open', () => {
  it.each([
    ['a dry-run drill', DRY],
    ['a staging drill', STAGING],
  ])(
    '%s: the real rollback is refused, changing nothing, and the drill is left as it was',
    async (_, block) => {
      const { deps, production, staging } = drillDeps(block);
      let drillId = '';
      const rolling: TestDeps = {
        ...deps,
        store: afterCall(
          'acquire',
          async () => {
            drillId = (await startDrill(deps, 'fraud-scorer', { by: 'schedule', auto: false })).id;
          },
          (name) => name.startsWith('rollback:'),
        )(deps.store),
      };

      const refusal = await rollback(rolling, {
        model: 'fraud-scorer',
        reason: 'p99 doubled',
        by: 'cli:ana',
        trigger: 'cli',
      }).then(
        () => undefined,
        (error: unknown) => error,
      );

      expect(refusal).toMatchObject({
        code: 'CONFLICT',
        message: `a drill of fraud-scorer (${drillId}) started while this rollback was being planned against production: nothing was changed`,
      });

      expect(production.calls).not.toContain('execute');
      expect(staging.calls).toEqual([]);
      expect(await deps.store.getIncident(drillId)).toMatchObject({ drill: true, phase: 'triage' });
      expect((await deps.store.getIncident(drillId))?.rollback).toBeUndefined();
      expect((await types(deps, drillId)).filter((type) => type.startsWith('rollback.'))).toEqual([]);
      expect(await deps.store.holder('rollback:fraud-scorer')).toBeUndefined();
    },
  );
});
