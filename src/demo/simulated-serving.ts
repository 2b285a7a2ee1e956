import { formatDuration } from '../core/duration.js';
import { ServingError } from '../core/errors.js';
import type {
  ExecuteContext,
  ExecuteResult,
  RollbackPlan,
  ServingAdapter,
  ServingAdapterFactory,
  ServingState,
} from '../engine/serving-port.js';
import type { SimulationReport } from './simulation-report.js';

/** Each version's share of the traffic, 0–1; a version at 0 is deployed and warm (a flip reaches it). */
export type TrafficSplit = Readonly<Record<string, number>>;

/** Traffic moving from one split to another, linearly between `startAt` and `endAt`. */
interface Shift {
  startAt: number;
  endAt: number;
  from: TrafficSplit;
  to: TrafficSplit;
}

export interface SimulatedServingOptions {
  now: () => number;
  /** The version that has served all traffic since before the demo. */
  initial: string;
  /** How long a rollback's traffic flip takes: a router shifting traffic onto a warm version. */
  flipMs: number;
  report: SimulationReport;
}

/**
 * SIMULATION — a serving layer held in memory, for `npm run demo`. It keeps the history of who served how much
 * traffic when, so that the simulated metrics can be derived from it, and hands rollbot a `ServingAdapter` that
 * behaves like a real traffic flip: the change takes `flipMs`, and `onTarget` says no until it is done.
 */
export class SimulatedServingLayer {
  private readonly shifts: Shift[] = [];
  private readonly executed = new Set<string>();
  private previous: string | undefined;

  constructor(private readonly options: SimulatedServingOptions) {}

  /** The split at `at`: before any change the initial version has everything; during a shift it moves linearly. */
  trafficAt(at: number): TrafficSplit {
    const shift = this.shifts.findLast((candidate) => candidate.startAt <= at);
    if (!shift) return { [this.options.initial]: 1 };
    if (at >= shift.endAt) return shift.to;
    const progress = (at - shift.startAt) / (shift.endAt - shift.startAt);
    const versions = new Set([...Object.keys(shift.from), ...Object.keys(shift.to)]);
    return Object.fromEntries(
      [...versions].map((version) => {
        const before = shift.from[version] ?? 0;
        return [version, before + ((shift.to[version] ?? 0) - before) * progress];
      }),
    );
  }

  /** A rollout finished (what CI did before the demo's alert): `version` takes all traffic, the old one stays warm. */
  deploy(version: string): void {
    const now = this.options.now();
    const from = this.trafficAt(now);
    this.previous = this.largest(from);
    this.shifts.push({ startAt: now, endAt: now, from, to: { ...zeroed(from), [version]: 1 } });
    this.options.report({
      call: 'deploy',
      text: `rollout done: ${version} takes 100% of traffic; ${this.previous} stays deployed and warm at 0%`,
    });
  }

  /** The adapter factory rollbot uses instead of the one the runbook's `serving` block would pick. */
  adapterFactory(): ServingAdapterFactory {
    return (config, { model }) => this.adapter(`simulated ${config.adapter} (${model})`);
  }

  private adapter(target: string): ServingAdapter {
    return {
      kind: 'simulated',
      target,
      state: async () => this.state(),
      plan: async (request) => this.plan(request),
      execute: async (plan, context) => this.execute(plan, context),
      onTarget: async (plan) => this.onTarget(plan),
    };
  }

  private state(): ServingState {
    const now = this.options.now();
    const split = this.trafficAt(now);
    const traffic = Object.entries(split)
      .map(([version, share]) => ({ version, percent: Math.round(share * 100) }))
      .sort((a, b) => b.percent - a.percent);
    const summary = traffic.map((entry) => `${entry.version} ${entry.percent}%`).join(', ');
    const state: ServingState = {
      traffic,
      rolloutInProgress: false,
      settled: now >= (this.shifts.at(-1)?.endAt ?? 0),
      summary,
    };
    const current = traffic[0]?.version;
    if (current !== undefined) state.current = current;
    if (this.previous !== undefined && this.previous !== current) state.previous = this.previous;
    this.options.report({ call: 'state', text: `state read: ${summary}` });
    return state;
  }

  private plan(request: { to?: string; knownGood?: string; state: ServingState }): RollbackPlan {
    const to = request.to ?? request.knownGood ?? request.state.previous;
    if (to === undefined || !(to in this.trafficAt(this.options.now()))) {
      throw new ServingError(`the simulated serving layer has no deployed version ${to ?? '(none known)'}`, {
        transient: false,
        hint: 'the demo deploys v1 then v2; roll back to v1',
      });
    }
    const flip = formatDuration(this.options.flipMs);
    const plan: RollbackPlan = {
      to,
      regime: 'traffic-flip',
      etaMs: this.options.flipMs,
      actions: [`shift 100% of traffic to the warm ${to} over ${flip}`],
      data: {},
    };
    if (request.state.current !== undefined) plan.from = request.state.current;
    this.options.report({
      call: 'plan',
      text: `plan: ${plan.from ?? '?'} → ${to}, traffic flip onto a warm version, ETA ${flip}`,
    });
    return plan;
  }

  private execute(plan: RollbackPlan, context: ExecuteContext): ExecuteResult {
    const now = this.options.now();
    const from = this.trafficAt(now);
    // Like a real layer: a repeated key, or traffic already where the plan wants it, changes nothing.
    if (this.executed.has(context.idempotencyKey) || (from[plan.to] ?? 0) >= 1) {
      this.options.report({ call: 'execute', text: `execute: already on ${plan.to}, nothing changed` });
      return { mutated: false };
    }
    this.executed.add(context.idempotencyKey);
    this.previous = this.largest(from);
    this.shifts.push({
      startAt: now,
      endAt: now + this.options.flipMs,
      from,
      to: { ...zeroed(from), [plan.to]: 1 },
    });
    this.options.report({
      call: 'execute',
      text: `execute: shifting traffic ${plan.from ?? '?'} → ${plan.to} (idempotency key ${context.idempotencyKey}, fence ${context.fence})`,
    });
    return { mutated: true, output: `simulated router: traffic moving to ${plan.to}` };
  }

  private onTarget(plan: RollbackPlan): boolean {
    const share = this.trafficAt(this.options.now())[plan.to] ?? 0;
    const done = share >= 0.999;
    this.options.report({
      call: 'on-target',
      text: `traffic on ${plan.to}: ${Math.round(share * 100)}%${done ? ' — on target' : ' — not yet'}`,
    });
    return done;
  }

  private largest(split: TrafficSplit): string | undefined {
    return Object.entries(split).sort(([, a], [, b]) => b - a)[0]?.[0];
  }
}

/** The same versions, all at 0%: still deployed (warm), taking no traffic. */
function zeroed(split: TrafficSplit): Record<string, number> {
  return Object.fromEntries(Object.keys(split).map((version) => [version, 0]));
}
