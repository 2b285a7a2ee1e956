/**
 * No successful drill in this long is overdue: the rehearsal the quarterly schedule exists for did not happen, and
 * the deployment gate closes (engine/drill.ts). The runbook loader holds drill schedules to it as well.
 */
export const DRILL_OVERDUE_MS = 100 * 86_400_000;
