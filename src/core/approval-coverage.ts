/**
 * Whether a stored deployment approval lets the deployment waiting now through: the one place that decides it.
 * An approval is for the deployment that waited when it was given (its `askedFor`), so that one recorded between
 * reading which deployment waits and storing the approval (CI on another replica) does not inherit an approval
 * meant for the deployment before it. Pure: the stored approval and what waits are inputs.
 */

/** A deployment approval as it is stored. */
export interface StoredApproval {
  by: string;
  at: number;
  reason: string;
  /**
   * Which deployment it was given for (`rollback:<incident>:<at>` or `deployment:<at>[.<n>]|none`, as the gate names
   * it). Absent on approvals stored by builds from before 2026-12-03, which approved whichever deployment waits.
   */
  askedFor?: string;
  /** The latest renewal: an approver approved the same deployment again, and its 24 h count from then. */
  renewed?: { by: string; at: number };
}

/** How long an approval lets its deployment through: from when it was given, or last renewed. */
export const APPROVAL_LASTS_MS = 24 * 3_600_000;

/** When `approval` lapses: 24 h after it was given, or after its latest renewal. */
export function approvalUntil(approval: Pick<StoredApproval, 'at' | 'renewed'>): number {
  return (approval.renewed?.at ?? approval.at) + APPROVAL_LASTS_MS;
}

/** `rollback:<incident>:<at>`: the first deployment after that rollback. */
export const ROLLBACK_ASKED_FOR = /^rollback:([^\s:]+):(\d+)$/;

/**
 * Does `approval` cover the deployment waiting now (`waiting`, its askedFor)? Only if it was given for that one.
 * An approval from an older build (no askedFor) keeps the meaning it had, so a rolling upgrade locks nobody out:
 * whichever deployment waits, unless it is the first after a rollback made after the approval (which the
 * approver could not weigh).
 */
export function covers(approval: StoredApproval, waiting: string): boolean {
  if (approval.askedFor !== undefined) return approval.askedFor === waiting;
  const rollbackAt = ROLLBACK_ASKED_FOR.exec(waiting)?.[2];
  return rollbackAt === undefined || approval.at >= Number(rollbackAt);
}
