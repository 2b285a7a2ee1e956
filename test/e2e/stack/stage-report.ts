import type { IncidentView } from '../../../src/engine/views.js';

export interface StageRow {
  scenario: string;
  stage: string;
  took: string;
  target: string;
  'within target': string;
}

const RUNBOOK_STAGES = ['detect', 'triage', 'rollback', 'confirm'];

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`;

/**
 * Each runbook stage of a finished incident against its target, as the bot's API reports them, plus the
 * detection time the test itself saw: from degrading v2 to rollbot receiving the first alert.
 */
export function stageRows(scenario: string, incident: IncidentView, degradedAt: number): StageRow[] {
  const rows: StageRow[] = incident.stages
    .filter((stage) => RUNBOOK_STAGES.includes(stage.stage))
    .map((stage) => ({
      scenario,
      stage: stage.stage,
      took: stage.state === 'pending' ? 'not started' : seconds(stage.elapsedMs),
      target: minutes(stage.targetMs),
      'within target': stage.breached ? 'NO' : 'yes',
    }));
  const received = Math.min(...incident.alerts.map((alert) => alert.receivedAt));
  const detectTarget = incident.stages.find((stage) => stage.stage === 'detect')?.targetMs ?? 0;
  rows.splice(1, 0, {
    scenario,
    stage: 'detect, from degradation *',
    took: seconds(received - degradedAt),
    target: minutes(detectTarget),
    'within target': received - degradedAt < detectTarget ? 'yes' : 'NO',
  });
  return rows;
}

export function printStageTable(rows: readonly StageRow[]): void {
  if (rows.length === 0) return;
  console.log('\nrollbot runbook stages on the real stack (durations from GET /api/incidents/:id):');
  console.table(rows);
  console.log(
    "* measured by the test, from degrading v2 to rollbot receiving the alert. rollbot's detect stage starts at the " +
      "alert's startsAt, which Prometheus sets when the alert fires, after the rate window and `for:`.",
  );
}
