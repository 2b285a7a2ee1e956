import type { EngineDeps } from './context.js';

/**
 * What a stand-in's payload carries besides its incident: what its handler needs to finish the step (who opened
 * the incident, which triage run, which rollback attempt). Never `incidentId`, which the stand-in puts first.
 */
export type StandInDetails = Record<string, string | number> & { incidentId?: never };

/**
 * The deadline that finishes a step should whoever took it die, or stall, before finishing it (README
 * "Durability"): scheduled before the step's write, a grace period on; cancelled by whoever finishes the step;
 * scheduled again, later, by a stand-in that finds the step busy and looks again.
 */
export interface StandIn<Details extends StandInDetails> {
  /**
   * `<incidentId>:<suffix>`: one stand-in per incident and suffix, so that scheduling it again moves it. A step
   * taken more than once per incident (a triage run, a rollback attempt) has a stand-in per take, its suffix
   * naming it (`decision:<triageAt>`, `rollback-failed:<attempt>`, `rollback-settle:<attempt>`,
   * `rollback-success:<attempt>`): finishing one take never cancels another's.
   */
  id(incidentId: string): string;
  /** Has the stand-in come at `dueAt`, with payload `{incidentId, ...details}`. */
  schedule(
    deps: Pick<EngineDeps, 'store'>,
    incidentId: string,
    details: Details,
    dueAt: number,
  ): Promise<void>;
  /** The step is done: its stand-in is not needed. */
  cancel(deps: Pick<EngineDeps, 'store'>, incidentId: string): Promise<void>;
}

/**
 * The stand-in of deadline kind `kind` whose ids end in `suffix`. Its ids, kind and payloads are stored and read
 * by other replicas, and by older builds during a rolling upgrade: what this builds must not change.
 */
export function standIn<Details extends StandInDetails = Record<never, never>>(
  kind: string,
  suffix: string,
): StandIn<Details> {
  const id = (incidentId: string): string => `${incidentId}:${suffix}`;
  return {
    id,
    schedule: (deps, incidentId, details, dueAt) =>
      deps.store.schedule({ id: id(incidentId), kind, dueAt, payload: { incidentId, ...details } }),
    cancel: (deps, incidentId) => deps.store.cancel(id(incidentId)),
  };
}

/**
 * The stand-ins of a step taken once per rollback attempt (a failure's escalation, a success's follow-up, an
 * interrupted attempt's settlement): one per attempt, `<incidentId>:<suffix>:<attempt>`, payload
 * `{incidentId, attempt}`. A later attempt can be guarded while an earlier one's step is still under way; with
 * its own stand-in, the earlier one finishing (cancel) or looking again (schedule) never cancels nor moves it.
 * Builds before 2026-12-03 kept one per incident, `<incidentId>:<suffix>`: during a rolling upgrade each build
 * handles the other's by its kind and payload, which are unchanged, and cancels only ids of its own making. An
 * older one's is never cancelled, as it may be another attempt's: come due, it does nothing once its attempt's
 * step was done or a later attempt superseded it.
 */
export function attemptStandIn(
  kind: string,
  suffix: string,
): (attempt: number) => StandIn<{ attempt: number }> {
  return (attempt) => standIn<{ attempt: number }>(kind, `${suffix}:${attempt}`);
}
