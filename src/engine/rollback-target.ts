import { lastKnownGood, presumedCurrent, rolledBackFrom, type Deployment } from '../core/ledger.js';
import type { RollbackPlan, ServingState } from './serving-port.js';

/** Which version a rollback moves away from and which it goes to, when no person named one. */
export interface RollbackTarget {
  /** Set when a rollout is in progress: the version rolling out, suspected bad, which the rollback aborts. */
  suspect?: string;
  /** The version to roll back to, for the adapter's plan. */
  knownGood?: string;
  /** Set when a rollout is in progress: the stable version the layer keeps warm beside the one rolling out. */
  stable?: string;
}

/**
 * Chooses the rollback's suspect and known-good from what the layer reports and the ledger.
 *
 * While a rollout is in progress (a canary, a blue/green update), rolling back means aborting it: the suspect is
 * the version rolling out and the known-good is the stable version the layer keeps warm beside it
 * (`state.previous`, else the version with the largest share), so the rollback is a flip onto a version that is
 * serving already. The largest share cannot name the suspect: at a 10 % canary it is the stable version, and the
 * ledger's "last known-good before it" is one version too far back (a flip cannot reach it; a re-applied spec
 * would take the healthy stable version down). The stable version is not the target when a rollback moved
 * traffic away from it and CI has not deployed it again: then the ledger decides, as after a rollout.
 *
 * Otherwise — no rollout, or nothing rolls out beside the stable version any more — the known-good is the
 * ledger's last known-good before what serves (before the presumed current version when the layer cannot say).
 */
export function rollbackTarget(state: ServingState, ledger: readonly Deployment[]): RollbackTarget {
  const stable = state.rolloutInProgress
    ? (state.previous ?? largestShare(state.traffic) ?? state.current)
    : undefined;
  const suspect = stable === undefined ? undefined : rollingOut(state, ledger, stable);
  // Nothing rolls out beside the stable version any more (a canary aborted to 0 %, already rolled back from):
  // a rollback now goes further back, as after a rollout.
  if (stable === undefined || suspect === undefined) {
    const knownGood = lastKnownGood(ledger, state.current);
    return knownGood === undefined ? {} : { knownGood };
  }
  const knownGood = rolledBackFrom(ledger, stable) ? lastKnownGood(ledger, suspect) : stable;
  return { suspect, stable, ...(knownGood === undefined ? {} : { knownGood }) };
}

/**
 * The version rolling out beside `stable`: the one with the largest share other than it (a layer that shows both
 * sides), else the ledger's newest deployment CI recorded and not rolled back (a layer that shows only the side it
 * is leaving, as a SageMaker endpoint mid-update does). A version at 0 % rolls out no longer unless the ledger says
 * so. Only CI's records say what rolls out: a real rollback notes what the layer serves (the stable side) in the
 * ledger as `observed` before it plans, and taken for the newest deployment that would hide the version rolling
 * out and send the rollback onto it.
 */
function rollingOut(state: ServingState, ledger: readonly Deployment[], stable: string): string | undefined {
  const other = largestShare(state.traffic.filter((entry) => entry.version !== stable && entry.percent > 0));
  if (other !== undefined) return other;
  const newest = presumedCurrent(ledger.filter((deployment) => deployment.strategy !== 'observed'));
  return newest === stable ? undefined : newest;
}

function largestShare(traffic: readonly { version: string; percent: number }[]): string | undefined {
  let best: { version: string; percent: number } | undefined;
  for (const entry of traffic) if (best === undefined || entry.percent > best.percent) best = entry;
  return best?.version;
}

/**
 * During a rollout, a plan that cannot say what it moves away from (the adapter took the largest share, the
 * stable version itself, as `from`) moves away from the version rolling out: that is what is marked rolled back
 * on success, and what a plan "from v41 to v41" would wrongly refuse as already done. A plan back to the stable
 * version says that it aborts the rollout, so that people reading "v42 → v41" know why not further back.
 */
export function fromTheRollout(plan: RollbackPlan, target: RollbackTarget): RollbackPlan {
  const { suspect, stable } = target;
  if (stable === undefined || suspect === undefined || plan.to === suspect) return plan;
  const from = plan.from !== undefined && plan.from !== plan.to ? plan.from : suspect;
  const actions =
    plan.to === stable
      ? [
          `a rollout is in progress: rolling back aborts it, all traffic from ${suspect} (rolling out) to ${stable} (stable)`,
          ...plan.actions,
        ]
      : plan.actions;
  return { ...plan, from, actions };
}
