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
  /**
   * The stage did not complete: the incident's resolution ended it while it ran (a person resolving by hand, or a
   * drill's end), before the runbook's own end of it (a decision, traffic on the known-good version, confirmation
   * passing). Its time says nothing about its target: not met, and not missed unless it had missed it already.
   * Absent on incidents resolved before it was kept: viewStages (core/incident.ts) reads it from the incident.
   */
  endedBy?: 'resolution';
  /**
   * The stage did not happen, and why, in words for people: nothing was there to measure (an incident opened by a
   * rollback, already decided: no alert was detected and nobody triaged; a declared incident's detection, whose
   * onset nobody knows; a drill's detection, its synthetic alert starting with it). Its clock starts and ends at the opening, but it is neither met in 0 s
   * nor missed, and its deadline is never scheduled (core/incident-stages.ts, skipStages).
   */
  skipped?: string;
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
  /** See StageClock's `endedBy`. */
  endedBy?: 'resolution';
  /** See StageClock's `skipped`. */
  skipped?: string;
}

/** How a stage went against its target, the one place that decides it for every view (stageResult). */
export type StageResult = 'pending' | 'running' | 'met' | 'missed' | 'ended-by-resolution' | 'skipped';

/**
 * A stage's result: missed once it breached (also one a resolution ended after it had missed its target), met when
 * it completed in time, and neither when a resolution ended it in time (StageClock's `endedBy`) or it did not happen
 * (StageClock's `skipped`).
 */
export function stageResult(
  view: Pick<StageView, 'state' | 'breached' | 'endedBy' | 'skipped'>,
): StageResult {
  if (view.state === 'pending') return 'pending';
  if (view.skipped !== undefined) return 'skipped';
  if (view.breached) return 'missed';
  if (view.state === 'running') return 'running';
  return view.endedBy === 'resolution' ? 'ended-by-resolution' : 'met';
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
    breached:
      clock.skipped === undefined &&
      (clock.breachedAt !== undefined || (state !== 'pending' && elapsedMs >= targetMs)),
  };
  if (clock.skipped !== undefined) view.skipped = clock.skipped;
  if (clock.startedAt !== undefined) view.startedAt = clock.startedAt;
  if (clock.endedAt !== undefined) view.endedAt = clock.endedAt;
  if (clock.endedBy !== undefined && view.state === 'done') view.endedBy = clock.endedBy;
  return view;
}

/** When a running stage misses its target, or undefined if it has not started or already ended. */
export function stageDueAt(clock: StageClock, targetMs: number): number | undefined {
  if (clock.startedAt === undefined || clock.endedAt !== undefined || clock.skipped !== undefined)
    return undefined;
  return clock.startedAt + targetMs;
}
