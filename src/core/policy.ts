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

/** A Slack user-group ID (`S…`), as rollback.approvers may list beside user IDs (`U…`/`W…`). */
export function isUserGroupId(id: string): boolean {
  return id.startsWith('S');
}

/**
 * May this person act on a model? The runbook lists user IDs and user-group IDs; an empty list means anyone
 * who can reach the bot (the channel's members). A group's ID names no person: someone who gives it as who they
 * are (an API's `dismissedBy`, the CLI's `--as`) is not thereby in the group, only a member checked as one is.
 */
export function mayAct(allowed: readonly string[], actor: Actor): boolean {
  return (
    allowed.length === 0 ||
    (!isUserGroupId(actor.id) && allowed.includes(actor.id)) ||
    actor.groups.some((group) => allowed.includes(group))
  );
}
