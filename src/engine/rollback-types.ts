import type { Trigger } from '../core/incident.js';
import type { RollbackPlan } from '../core/rollback.js';
import type { ActedOn } from './acted-on.js';
import type { ServingState } from './serving-port.js';

export interface RollbackRequest {
  model: string;
  /** A version chosen by a person; default: the last known-good. */
  to?: string;
  /**
   * The version the requester saw serving (the `from` of the plan they were shown). When the layer serves another
   * version by the time the rollback runs (someone rolled back meanwhile), it is refused rather than re-planned
   * one version further back.
   */
  from?: string;
  /**
   * The incident a person asked on (its message's or decision request's Roll back): the rollback goes on it only,
   * and is refused until it is recorded there once that incident no longer stands as they saw it (acted-on.ts).
   */
  actedOn?: ActedOn;
  reason: string;
  /** Slack user ID, `cli:<user>`, `api`, `rollbot` (auto). */
  by: string;
  trigger: Trigger;
  /**
   * The drill this rollback rehearses, named by a drill deciding at once (drill-start.ts): the rollback goes on
   * that drill or nowhere, even when a real alert ended it meanwhile and a real incident is open (rollback-scope.ts).
   */
  drillId?: string;
  /** Show the plan, change nothing (no lock, no incident, no serving-layer write). */
  dryRun?: boolean;
}

export type RollbackStepKind =
  'state' | 'plan' | 'executing' | 'retry' | 'executed' | 'waiting' | 'on-target' | 'failed' | 'unknown';

export interface RollbackStep {
  kind: RollbackStepKind;
  at: number;
  text: string;
}

export interface RollbackOutcome {
  /**
   * `unknown`: the change was made but whether it landed could not be read (rollback-unknown.ts): not done as far
   * as anyone can tell, and not to be run again before a person has checked the layer.
   */
  outcome: 'succeeded' | 'failed' | 'unknown' | 'dry-run';
  model: string;
  /** Where: `kserve ml-prod/fraud-scorer`. */
  target: string;
  incidentId?: string;
  state: ServingState;
  plan: RollbackPlan;
  steps: RollbackStep[];
  error?: { code: string; message: string; hint?: string };
  /**
   * Present when the rollback was a drill's (asked for by model while the model's drill was open): which drill,
   * and a note saying in words that it went to the drill target, not production (drillNote).
   */
  drill?: { incidentId: string; note: string };
}
