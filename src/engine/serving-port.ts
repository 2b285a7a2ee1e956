/**
 * The serving port: how the engine reads and changes what a model serves. serving/ implements it, one adapter per
 * serving layer. Every method may reject on I/O failure.
 */
import { ServingError, type RollbotErrorOptions } from '../core/errors.js';
import type { Deployment } from '../core/ledger.js';
import type { RollbackPlan } from '../core/rollback.js';
import type { ServingConfig } from '../runbooks/serving.js';

export type { RollbackPlan, RollbackRegime } from '../core/rollback.js';

/** What a serving layer reports about a model right now. */
export interface ServingState {
  /** The version serving the largest share of traffic, in the adapter's own terms (revision, config, alias…). */
  current?: string;
  /** Every version with its share of traffic, 0–100. */
  traffic: { version: string; percent: number }[];
  /** The previous known-good version, when the serving layer itself remembers one (KServe, Argo Rollouts). */
  previous?: string;
  /** A progressive rollout is under way, so the previous version is still warm: a rollback is a flip. */
  rolloutInProgress: boolean;
  /** No update is in flight (SageMaker InService, Kubernetes observedGeneration caught up, …). */
  settled: boolean;
  /** One line for people. */
  summary: string;
}

export interface ExecuteContext {
  /** One per decision: the same key never mutates twice. */
  idempotencyKey: string;
  /** The rollback lock's fence number, for layers that can refuse stale writers. */
  fence: number;
  incidentId: string;
  model: string;
  reason: string;
}

export interface ExecuteResult {
  /** False when the serving layer already matched the plan and nothing was changed. */
  mutated: boolean;
  /** What the layer said (command output, response summary), for the timeline. */
  output?: string;
  /**
   * What the adapter needs to know later about the change it made, kept with the plan: merged into the stored
   * attempt's `plan.data` (a key it has already is replaced) in the same write as the attempt's `rollback.executed`
   * entry, so that every later `onTarget` is given the plan with it — this process's polls, and after a restart
   * another replica's settlement and its stand-ins, which read the plan from the store. JSON only, small (it is
   * stored on the incident), never a secret (the incident is shown through the API). The Vertex adapter keeps its
   * deployModel operation's name: a deployment that failed is then said at once, with Vertex's error. An adapter
   * must not change the plan it is given instead: nothing stores that.
   */
  planData?: Record<string, unknown>;
}

/**
 * One model on one serving layer. Errors are `ServingError` (core/errors.ts), marked transient or not, with a
 * message that says what failed and a hint that says what to check.
 */
export interface ServingAdapter {
  /** The adapter name from the runbook: `kserve`, `argo-rollouts`, … */
  readonly kind: string;
  /** Where, for people: `kserve ml-prod/fraud-scorer`. */
  readonly target: string;
  /**
   * False when the adapter cannot read the layer (an `http` or `command` adapter without a status check): it
   * knows only what it did itself, which a restarted bot has forgotten. Absent means it can.
   */
  readonly readsState?: boolean;
  state(): Promise<ServingState>;
  /**
   * Plans the rollback to `to` (a person's choice), else to `knownGood` (the planner's: mid-rollout the stable
   * version the layer keeps warm, else the ledger's last known-good), else to the layer's own previous version;
   * refuses with a clear error when there is none or it is not reachable.
   */
  plan(request: {
    to?: string;
    knownGood?: string;
    state: ServingState;
    ledger?: readonly Deployment[];
  }): Promise<RollbackPlan>;
  /** Makes the change. Re-reads the layer first and makes no call when it already matches the plan. */
  execute(plan: RollbackPlan, context: ExecuteContext): Promise<ExecuteResult>;
  /**
   * Where the change stands, the one answer every adapter gives: true once the layer reports traffic on `plan.to`,
   * false while it does not (yet); the engine polls it until the attempt's bound. Rejects with ChangeFailed when the
   * layer itself says the change failed for good, and with any other error when it could not tell (unreachable,
   * forbidden, an answer it cannot read): after a restart only the first is a verdict, the others leave the
   * outcome unknown.
   */
  onTarget(plan: RollbackPlan): Promise<boolean>;
}

/**
 * The serving layer's own word that a rollback's change failed and will not land: a deployment operation that
 * finished with an error (Vertex deployModel), an endpoint Failed or UpdateRollbackFailed after the update
 * (SageMaker). A verdict, not a failed read: after a restart the attempt is recorded failed with it, as it is when
 * this process sees it, rather than left "outcome unknown". Only for an answer that says so; a read that failed, or
 * a state the adapter cannot make sense of, is a ServingError, which leaves the outcome unknown whoever reads it
 * (rollback-landing.ts, recovery-outcomes.ts).
 */
export class ChangeFailed extends ServingError {
  constructor(message: string, options: Omit<RollbotErrorOptions, 'subject'> = {}) {
    super(message, { ...options, transient: false });
    this.name = 'ChangeFailed';
  }
}

/** Builds the adapter for a runbook's `serving` (or `drill.serving`) block. */
export type ServingAdapterFactory = (config: ServingConfig, context: { model: string }) => ServingAdapter;
