import type { Deployment } from '../core/ledger.js';
import type { TimelineEntry } from '../engine/ports.js';
import type { DeploymentInput } from '../engine/deployments.js';
import type { DrillListing } from '../engine/drill-list.js';
import type { DrillRun } from '../engine/drill-start.js';
import type { GateAnswer } from '../engine/gate.js';
import type { FreezeOutcome } from '../engine/freeze.js';
import type { RollbackOutcome, RollbackRequest, RollbackStep } from '../engine/rollback.js';
import type { IncidentPage } from '../engine/incident-pages.js';
import type { IncidentDetail, IncidentView } from '../engine/views.js';

/** What the CLI asks of rollbot, answered by a running bot over HTTP or by the engine in this process. */
export interface Backend {
  /** A page of incidents, newest first, after the incident `before` names; `next`: the last id, when more follow. */
  listIncidents(filter: { open?: boolean; limit?: number; before?: string }): Promise<IncidentPage>;
  incident(id: string): Promise<IncidentDetail>;
  rollback(request: RollbackRequest, onStep: (step: RollbackStep) => void): Promise<RollbackOutcome>;
  recordDeployment(input: DeploymentInput): Promise<{ deployment: Deployment; gate: GateAnswer }>;
  resolve(id: string, by: string, reason: string): Promise<IncidentView>;
  /** "Not a rollback", by `by` (a Slack user ID the runbook's rollback.approvers may list, or `cli:<login>`). */
  dismiss(id: string, how: { by: string; reason: string }): Promise<IncidentView>;
  /** Adds `by`'s note to an incident's timeline (anyone's: a note changes nothing); answers the timeline entry. */
  note(id: string, note: { by: string; text: string }): Promise<TimelineEntry>;
  /** Freezes deployments of a model, or of every model (`*`), as `by` (checked against rollback.approvers). */
  freeze(target: string, how: { by: string; until: string; reason: string }): Promise<FreezeOutcome>;
  /** Lifts the freeze of a model, or of every model (`*`), as `by`. */
  unfreeze(target: string, how: { by: string; reason?: string }): Promise<FreezeOutcome>;
  drills(): Promise<DrillListing[]>;
  runDrill(model: string, options: { by: string; dryRun: boolean }): Promise<DrillRun>;
  close(): Promise<void>;
}
