import { ServingError } from '../../src/core/errors.js';
import type {
  ExecuteContext,
  RollbackPlan,
  ServingAdapter,
  ServingState,
} from '../../src/engine/serving-port.js';

/**
 * A serving layer in memory: it has a current and a previous version, counts every call, and can be told to
 * fail or to be slow to report traffic on the target.
 */
export class FakeServing implements ServingAdapter {
  readonly kind = 'fake';
  /** Where it says it is (`fake ml-prod/model`), as a real adapter names its deployment. */
  constructor(readonly target = 'fake ml-prod/model') {}
  current = 'v42';
  previous: string | undefined = 'v41';
  calls: string[] = [];
  contexts: ExecuteContext[] = [];
  mutations = 0;
  /** Thrown by execute(), one per call, before anything changes. */
  executeErrors: Error[] = [];
  /** Thrown by state(), one per call. */
  stateErrors: Error[] = [];
  /** Thrown by onTarget(), one per call: a failed read, or the layer's word that the change failed (ChangeFailed). */
  targetErrors: Error[] = [];
  /** How many onTarget() polls answer false before the truth is told. */
  slowPolls = 0;
  /** Never report traffic on the target. */
  stuck = false;
  /** How a plan reaches its target: a flip while the old version is warm, a redeploy once it is torn down. */
  regime: RollbackPlan['regime'] = 'traffic-flip';
  /** Runs inside execute() before the change, e.g. to let a concurrent caller in. */
  duringExecute: (() => Promise<void>) | undefined;
  /** Runs inside plan() once the plan is made, before it is returned, e.g. to let a real alert in. */
  afterPlan: (() => Promise<void>) | undefined;
  /** What execute() asks to keep with the plan when it makes the change (ExecuteResult.planData). */
  planData: Record<string, unknown> | undefined;
  /** A copy of every plan onTarget() was given, as it was given. */
  targetPlans: RollbackPlan[] = [];

  async state(): Promise<ServingState> {
    this.calls.push('state');
    const error = this.stateErrors.shift();
    if (error) throw error;
    const state: ServingState = {
      current: this.current,
      traffic: [{ version: this.current, percent: 100 }],
      rolloutInProgress: false,
      settled: true,
      summary: `${this.current} takes 100% of traffic`,
    };
    if (this.previous) state.previous = this.previous;
    return state;
  }

  async plan(request: { to?: string; knownGood?: string; state: ServingState }): Promise<RollbackPlan> {
    this.calls.push('plan');
    const to = request.to ?? request.knownGood ?? request.state.previous;
    if (!to)
      throw new ServingError('no previous version known', { transient: false, hint: 'record deployments' });
    const plan: RollbackPlan = {
      to,
      regime: this.regime,
      etaMs: this.regime === 'traffic-flip' ? 30_000 : 600_000,
      actions: [`flip traffic to ${to}`],
      data: {},
    };
    if (request.state.current) plan.from = request.state.current;
    await this.afterPlan?.();
    return plan;
  }

  async execute(plan: RollbackPlan, context: ExecuteContext) {
    this.calls.push('execute');
    this.contexts.push(context);
    await this.duringExecute?.();
    const error = this.executeErrors.shift();
    if (error) throw error;
    if (this.current === plan.to) return { mutated: false };
    this.previous = this.current;
    this.current = plan.to;
    this.mutations++;
    return {
      mutated: true,
      output: `flipped to ${plan.to}`,
      ...(this.planData ? { planData: this.planData } : {}),
    };
  }

  async onTarget(plan: RollbackPlan): Promise<boolean> {
    this.calls.push('onTarget');
    this.targetPlans.push(structuredClone(plan));
    const error = this.targetErrors.shift();
    if (error) throw error;
    if (this.stuck) return false;
    if (this.slowPolls > 0) {
      this.slowPolls--;
      return false;
    }
    return this.current === plan.to;
  }
}

export const transient = (message = 'HTTP 503: busy') =>
  new ServingError(message, { transient: true, status: 503 });
export const permanent = (message = 'HTTP 403: forbidden') =>
  new ServingError(message, { transient: false, status: 403, hint: 'check RBAC', details: { status: 403 } });
