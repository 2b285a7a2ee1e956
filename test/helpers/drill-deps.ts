import type { Store } from '../../src/engine/ports.js';
import type { ServingConfig } from '../../src/runbooks/serving.js';
import { makeDeps, makeRunbook, type TestClock, type TestDeps } from './engine.js';
import { FakeServing } from './fake-serving.js';
import { timelineTypes } from './replicas.js';

/** A runbook drill block whose drill target is the staging deployment. */
export const STAGING = 'drill: { serving: { adapter: kserve, namespace: ml-staging, name: fraud-scorer } }';
/** A runbook drill block that only plans. */
export const DRY = 'drill: { dryRun: true }';

/**
 * Deps for fraud-scorer with the `drill` block given, whose serving factory records which serving block each
 * adapter was built for: production and staging are separate fakes, so a test sees which one a rollback touched.
 * `runbook`: more of the runbook's YAML; `clock`: another clock than the hand-moved one.
 */
export function drillDeps(drill: string, options: { runbook?: string; clock?: TestClock } = {}) {
  const deps = makeDeps({
    runbooks: [makeRunbook('fraud-scorer', `${options.runbook ?? ''}\n${drill}`)],
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const used: ServingConfig[] = [];
  const production = deps.fake;
  const staging = new FakeServing();
  deps.serving = (config) => {
    used.push(config);
    return 'namespace' in config && config.namespace === 'ml-staging' ? staging : production;
  };
  return { deps, used, production, staging };
}

/** Drill scorecards that reached the people, across the replicas given. */
export function scorecards(...replicas: TestDeps[]): string[] {
  return replicas.flatMap((deps) =>
    deps.notifier.events.flatMap((event) =>
      event.type === 'incident.updated' && event.text.startsWith('DRILL ') ? [event.text] : [],
    ),
  );
}

/** How many drill scorecards INC-1's timeline records. */
export async function scorecardEntries(store: Store): Promise<number> {
  return (await timelineTypes(store)).filter((type) => type === 'drill.scorecard').length;
}
