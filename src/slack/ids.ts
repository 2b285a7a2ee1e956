/**
 * Every slash command, event, action and view rollbot registers with Slack, in one place: the listeners register
 * exactly these, and a test checks that manifest.yml declares exactly these commands and events.
 */
export const COMMANDS = {
  rollback: '/rollback',
  incident: '/incident',
  rollbot: '/rollbot',
  drill: '/drill',
} as const;

/**
 * The Events API events rollbot subscribes to (manifest.yml's bot_events; a test checks they match). Their
 * listeners must be safe to run twice for one event: when the store cannot say whether an event was handled, it is
 * handled (app.ts claimEvent) rather than lost.
 */
export const BOT_EVENTS = ['reaction_added'] as const;

/** Button action IDs on the incident message and on decision requests. */
export const ACTIONS = {
  acknowledge: 'incident_acknowledge',
  rollback: 'incident_rollback',
  notRollback: 'incident_not_rollback',
  runbook: 'incident_runbook',
  /** A decision request's own: refused, with who decided what, once the decision was made. */
  decisionRollback: 'decision_rollback',
  decisionNotRollback: 'decision_not_rollback',
  approve: 'rollback_approve',
  approveDeployment: 'deploy_approve',
  completeRetro: 'retro_complete',
  closeActionItem: 'retro_close_item',
} as const;

/** Modal callback IDs. */
export const VIEWS = {
  rollback: 'rollback_modal',
  notRollback: 'not_rollback_modal',
  retro: 'retro_modal',
} as const;

/** Input block and action IDs inside the modals (read back from view.state.values). */
export const INPUTS = {
  reason: { block: 'reason', action: 'reason_input' },
  dryRun: { block: 'dry_run', action: 'dry_run_input' },
  rootCause: { block: 'root_cause', action: 'root_cause_input' },
  wentWell: { block: 'went_well', action: 'went_well_input' },
  wentBadly: { block: 'went_badly', action: 'went_badly_input' },
  actionItems: { block: 'action_items', action: 'action_items_input' },
} as const;
