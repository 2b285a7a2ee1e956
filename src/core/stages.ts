/** The runbook's stages (DESIGN §1), in the order they happen. */
export const STAGES = ['detect', 'triage', 'rollback', 'confirm', 'retro'] as const;
export type Stage = (typeof STAGES)[number];

/** Target duration of each stage, in milliseconds. */
export type Targets = Record<Stage, number>;

/** When a stage started and ended, and when its target was first found missed (epoch ms). */
export interface StageClock {
  startedAt?: number;
  endedAt?: number;
  breachedAt?: number;
}

export type StageState = 'pending' | 'running' | 'done';

/** A stage as people see it: how long it has taken against its target. */
export interface StageView {
  stage: Stage;
  state: StageState;
  startedAt?: number;
  endedAt?: number;
  elapsedMs: number;
  targetMs: number;
  remainingMs: number;
  breached: boolean;
}

/**
 * Evaluates one stage at `now`. A stage has missed its target once its elapsed time reaches the target:
 * at exactly the target it is breached (9:59 is in time, 10:00 is not).
 */
export function viewStage(stage: Stage, clock: StageClock, targetMs: number, now: number): StageView {
  const state: StageState =
    clock.startedAt === undefined ? 'pending' : clock.endedAt === undefined ? 'running' : 'done';
  const elapsedMs = clock.startedAt === undefined ? 0 : Math.max(0, (clock.endedAt ?? now) - clock.startedAt);
  const view: StageView = {
    stage,
    state,
    elapsedMs,
    targetMs,
    remainingMs: targetMs - elapsedMs,
    breached: clock.breachedAt !== undefined || (state !== 'pending' && elapsedMs >= targetMs),
  };
  if (clock.startedAt !== undefined) view.startedAt = clock.startedAt;
  if (clock.endedAt !== undefined) view.endedAt = clock.endedAt;
  return view;
}

/** When a running stage misses its target, or undefined if it has not started or already ended. */
export function stageDueAt(clock: StageClock, targetMs: number): number | undefined {
  if (clock.startedAt === undefined || clock.endedAt !== undefined) return undefined;
  return clock.startedAt + targetMs;
}
