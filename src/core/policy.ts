/** A person asking to do something: their Slack user ID and the user groups they belong to. */
export interface Actor {
  id: string;
  groups: readonly string[];
  /**
   * Approver groups whose members could not be checked just now (engine/group-membership.ts): the person counts
   * as not in them, and a refusal says why, on the record too.
   */
  unchecked?: readonly UncheckedGroup[];
}

/** A group whose members neither Slack nor a recent snapshot could tell, and why. */
export interface UncheckedGroup {
  group: string;
  why: string;
}

/**
 * May this person act on a model? The runbook lists user IDs and user-group IDs; an empty list means anyone
 * who can reach the bot (the channel's members).
 */
export function mayAct(allowed: readonly string[], actor: Actor): boolean {
  return (
    allowed.length === 0 ||
    allowed.includes(actor.id) ||
    actor.groups.some((group) => allowed.includes(group))
  );
}
