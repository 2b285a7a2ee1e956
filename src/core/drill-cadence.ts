/**
 * No successful drill in this long is overdue: the rehearsal the quarterly schedule exists for did not happen, and
 * the deployment gate closes (engine/drill.ts). The runbook loader holds drill schedules to it as well.
 */
export const DRILL_OVERDUE_MS = 100 * 86_400_000;

/**
 * How late a scheduled drill occurrence may still start when every replica was down at its time: the people its
 * reminders told (10:00 on the 15th) are still around a few hours on. Later (that night, days on) it would ask a
 * decision of nobody and fail, so it is skipped, said in the channel, and rehearsed by hand or at the next one.
 */
export const DRILL_LATE_TOLERANCE_MS = 4 * 3_600_000;
