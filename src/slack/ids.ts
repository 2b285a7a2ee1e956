/**
 * Every slash command, action and view rollbot registers with Slack, in one place: the listeners register
 * exactly these, and a test checks that manifest.yml declares exactly these commands.
 */
export const COMMANDS = {
  rollback: '/rollback',
  incident: '/incident',
  rollbot: '/rollbot',
} as const;

/** Button action IDs on the incident message and on decision requests. */
export const ACTIONS = {
  acknowledge: 'incident_acknowledge',
  rollback: 'incident_rollback',
  notRollback: 'incident_not_rollback',
  runbook: 'incident_runbook',
  approve: 'rollback_approve',
} as const;

/** Modal callback IDs. */
export const VIEWS = {
  rollback: 'rollback_modal',
  notRollback: 'not_rollback_modal',
} as const;

/** Input block and action IDs inside the modals (read back from view.state.values). */
export const INPUTS = {
  reason: { block: 'reason', action: 'reason_input' },
  dryRun: { block: 'dry_run', action: 'dry_run_input' },
} as const;
