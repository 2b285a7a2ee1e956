import type { Trigger } from './trigger.js';

/** Traffic flip onto a warm version (seconds), or redeploy of an old artifact (minutes). */
export type RollbackRegime = 'traffic-flip' | 'redeploy';

/** How a rollback will be done, shown before it is done (and all a dry run does). */
export interface RollbackPlan {
  from?: string;
  to: string;
  regime: RollbackRegime;
  /** Expected time until traffic is on `to`. */
  etaMs: number;
  /** The calls the adapter will make, for people. */
  actions: string[];
  /** Adapter-private data carried from plan to execute; JSON only, because it is stored on the incident. */
  data: Record<string, unknown>;
}

export type RollbackStatus = 'executing' | 'succeeded' | 'failed' | 'unknown';

/** The latest rollback attempt of an incident, stored on it so that a restart knows what was in flight. */
export interface RollbackRecord {
  attempt: number;
  status: RollbackStatus;
  plan: RollbackPlan;
  /** `kserve ml-prod/fraud-scorer` */
  target: string;
  by: string;
  trigger: Trigger;
  reason: string;
  startedAt: number;
  endedAt?: number;
  error?: string;
}
