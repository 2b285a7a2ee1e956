import { describe, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { deploymentGate } from '../../../src/engine/gate.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { DEADLINE_LEASE_MS, pollDeadlines } from '../../../src/engine/poller.js';
import { resolve } from '../../../src/engine/resolve.js';
import { rollback } from '../../../src/engine/rollback.js';
import { incidentDetail } from '../../../src/engine/views.js';
import { WATCH_CHECK, WATCH_CHECK_INTERVAL_MS } from '../../../src/engine/watch.js';
import { incidentSummary } from '../../../src/slack/blocks/command-replies.js';
import { createSlackRenderer } from '../../../src/slack/renderer.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, type TestDeps } from '../../helpers/engine.js';
import { permanent, transient } from '../../helpers/fake-serving.js';

const HOUR = 3_600_000;

/** v41 was live; v42 went out and reached 100 % an hour ago (the fake layer serves v42, v41 still warm). */
async function watching(): Promise<TestDeps> {
  const deps = makeDeps();
  await recordDeployment(deps, { model: 'fraud-scorer', version: 'v41', strategy: 'canary', by: 'ci' });
  deps.clock.advance(24 * HOUR);
  await recordDeployment(deps, {
    model: 'fraud-scorer',
    version: 'v42',
    strategy: 'canary',
    by: 'ci',
    traffic: 10,
  });
  await recordDeployment(deps, { model: 'fraud-scorer', version: 'v42', strategy: 'canary', by: 'ci' });
  deps.clock.advance(HOUR);
  return deps;
}

const watchChecks = async (deps: TestDeps) =>
  (await deps.store.pending()).filter((deadline) => deadline.kind === WATCH_CHECK);
const warnings = (deps: TestDeps) =>
  deps.notifier.ofType('channel.message').filter((event) => event.text.includes('torn down'));

describe('the watch period after a deployment reaches 100 %', () => {
  it('is shown on an incident opened during it, in the incident message and in /incident', async () => {
    const deps = await watching();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const detail = await incidentDetail(deps, 'INC-1');
    expect(detail.watch).toMatchObject({ version: 'v42', previousVersion: 'v41' });
    const note =
      'In its watch period: v42 took all traffic 1h ago; rollback target v41 kept ready for 2d 23h more.';
    expect(detail.watch?.note).toBe(note);

    const opened = deps.notifier.ofType('incident.opened')[0]!;
    const message = JSON.stringify(
      createSlackRenderer(deps.runbooks).incidentMessage(opened, deps.clock.now()),
    );
    expect(message).toContain(note);
    expect(JSON.stringify(incidentSummary(detail).blocks)).toContain(note);
  });

  it('keeps the previous version as the rollback target', async () => {
    const deps = await watching();
    deps.fake.previous = 'v40'; // the layer's own idea of "previous" is not what the ledger says
    const outcome = await rollback(deps, {
      model: 'fraud-scorer',
      reason: 'errors',
      by: 'cli:ana',
      trigger: 'cli',
    });
    expect(outcome.plan.to).toBe('v41');
  });

  it('watches a version deployed again after a rollback from it, and makes it the next rollback target', async () => {
    const deps = await watching();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    await rollback(deps, { model: 'fraud-scorer', reason: 'errors', by: 'cli:ana', trigger: 'cli' });
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'the cause was upstream, not v42' });
    deps.clock.advance(4 * 24 * HOUR); // longer than the watch of v42's first rollout

    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v42', strategy: 'canary', by: 'ci' });
    const redeployed = deps.clock.now();
    deps.fake.current = 'v42';
    deps.fake.previous = 'v41';
    deps.clock.advance(HOUR);
    expect(await deploymentGate(deps, 'fraud-scorer')).toMatchObject({
      watch: { version: 'v42', previousVersion: 'v41', since: redeployed },
    });

    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v43', strategy: 'canary', by: 'ci' });
    deps.fake.current = 'v43';
    deps.fake.previous = 'v42';
    expect((await deploymentGate(deps, 'fraud-scorer')).watch?.previousVersion).toBe('v42');
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    const outcome = await rollback(deps, {
      model: 'fraud-scorer',
      reason: 'errors',
      by: 'cli:ana',
      trigger: 'cli',
    });
    expect(outcome.plan).toMatchObject({ from: 'v43', to: 'v42' });
  });

  it('is not shown for incidents after the watch or for a canary that never reached 100 %', async () => {
    const deps = await watching();
    deps.clock.advance(72 * HOUR);
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
    expect((await incidentDetail(deps, 'INC-1')).watch).toBeUndefined();

    const canary = makeDeps();
    await recordDeployment(canary, {
      model: 'fraud-scorer',
      version: 'v42',
      strategy: 'canary',
      by: 'ci',
      traffic: 25,
    });
    expect(await watchChecks(canary)).toEqual([]);
  });

  it('warns the channel once when the serving layer shows the rollback target torn down', async () => {
    const deps = await watching();
    const [check] = await watchChecks(deps);
    expect(check).toMatchObject({
      id: 'watch:fraud-scorer',
      payload: { model: 'fraud-scorer', version: 'v42' },
    });

    await pollDeadlines(deps); // due an hour ago (15 min after 100 %): v41 still warm
    expect(warnings(deps)).toEqual([]);
    expect((await watchChecks(deps))[0]?.dueAt).toBe(deps.clock.now() + WATCH_CHECK_INTERVAL_MS);

    deps.fake.regime = 'redeploy'; // the old revision was scaled away
    deps.clock.advance(WATCH_CHECK_INTERVAL_MS);
    await pollDeadlines(deps);
    const [warning, ...more] = warnings(deps);
    expect(more).toEqual([]);
    expect(warning?.channel).toBe('C0TEST0001');
    expect(warning?.text).toMatch(
      /^⚠️ fraud-scorer is in its watch period for 2d 22h more \(v42 took all traffic\), but its rollback target v41 is torn down: fake ml-prod\/model would redeploy v41 \(ETA 10m\): flip traffic to v41\. A rollback now would be a slow redeploy/,
    );
    expect(await watchChecks(deps)).toEqual([]); // said once; no more checks of this watch
  });

  it('is warned by another replica when the one that had it queued died before Slack took it', async () => {
    const first = await watching();
    const second = makeDeps({ store: first.store, clock: first.clock, fake: first.fake });
    first.timing = { ...first.timing, arrivalWaitMs: 5 };
    await pollDeadlines(first); // v41 still warm
    first.fake.regime = 'redeploy';
    first.clock.advance(WATCH_CHECK_INTERVAL_MS);
    // Slack is down: the warning waits in the first replica's queue, which then dies (SIGKILL) with it.
    first.notifier.arrival = () => new Promise<boolean>(() => undefined);
    await pollDeadlines(first);
    expect(warnings(first)).toHaveLength(1);

    first.clock.advance(DEADLINE_LEASE_MS);
    await pollDeadlines(second);
    expect(warnings(second)).toHaveLength(1);
    first.clock.advance(WATCH_CHECK_INTERVAL_MS);
    await pollDeadlines(second);
    expect(warnings(second)).toHaveLength(1);
    expect(await watchChecks(second)).toEqual([]);
  });

  it('is warned again at the next check when Slack gave up on it, and then once', async () => {
    const deps = await watching();
    await pollDeadlines(deps);
    deps.fake.regime = 'redeploy';
    deps.clock.advance(WATCH_CHECK_INTERVAL_MS);
    deps.notifier.arrival = async () => false;
    await pollDeadlines(deps);
    expect(warnings(deps)).toHaveLength(1);

    deps.notifier.arrival = async () => true;
    deps.clock.advance(WATCH_CHECK_INTERVAL_MS);
    await pollDeadlines(deps);
    deps.clock.advance(WATCH_CHECK_INTERVAL_MS);
    await pollDeadlines(deps);
    expect(warnings(deps)).toHaveLength(2);
    expect(await watchChecks(deps)).toEqual([]);
  });

  it("keeps a version name and the layer's refusal on the warning's line, where a line break would show", async () => {
    const deps = makeDeps();
    const previous = 'v41\n✅ fraud-scorer: v41 is warm';
    await recordDeployment(deps, { model: 'fraud-scorer', version: previous, strategy: 'canary', by: 'ci' });
    deps.clock.advance(24 * HOUR);
    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v42', strategy: 'canary', by: 'ci' });
    deps.fake.plan = async () => {
      throw new ServingError('revision not found:\nv41 can be flipped back to', {
        transient: false,
        status: 404,
      });
    };
    deps.clock.advance(WATCH_CHECK_INTERVAL_MS);
    await pollDeadlines(deps);
    const [warning] = warnings(deps);
    expect(warning?.text).toContain(
      'its rollback target v41 ✅ fraud-scorer: v41 is warm is torn down: fake ml-prod/model cannot go back to ' +
        'v41 ✅ fraud-scorer: v41 is warm: revision not found: v41 can be flipped back to. A rollback now',
    );
    expect(warning?.text).not.toMatch(/[\r\n]/);
  });

  it('does not call the target torn down when rollbot may not read the layer, and still warns when it is', async () => {
    const deps = await watching();
    deps.fake.stateErrors.push(permanent()); // HTTP 403: RBAC, not a missing version
    await pollDeadlines(deps);
    expect(warnings(deps)).toEqual([]);
    expect(await watchChecks(deps)).toHaveLength(1);

    deps.fake.regime = 'redeploy';
    deps.clock.advance(WATCH_CHECK_INTERVAL_MS);
    await pollDeadlines(deps);
    expect(warnings(deps)).toHaveLength(1);
  });

  it('does not cry wolf when the layer cannot be read, and stops when the watch ends', async () => {
    const deps = await watching();
    deps.fake.regime = 'redeploy';
    deps.fake.stateErrors.push(transient());
    await pollDeadlines(deps);
    expect(warnings(deps)).toEqual([]);
    expect(await watchChecks(deps)).toHaveLength(1);

    deps.fake.regime = 'traffic-flip';
    deps.clock.advance(80 * HOUR);
    await pollDeadlines(deps);
    expect(await watchChecks(deps)).toEqual([]);
    expect(warnings(deps)).toEqual([]);
  });
});
