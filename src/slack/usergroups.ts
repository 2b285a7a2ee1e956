import type { WebClient } from '@slack/web-api';
import type { Clock, Logger } from '../engine/ports.js';

/** Who is in a user group changes rarely; five minutes of staleness is fine and keeps us far under Tier 2. */
const TTL_MS = 300_000;

/**
 * The user groups (among `candidates`, the `S…` IDs a runbook names) that a user belongs to, from
 * `usergroups.users.list`, cached per group. A lookup that fails counts as "not a member": permissions fail
 * closed, and the denial message says who may act.
 */
export function createGroupResolver(client: WebClient, clock: Clock, logger: Logger) {
  const cache = new Map<string, { members: Set<string>; until: number }>();
  async function members(group: string): Promise<Set<string>> {
    const hit = cache.get(group);
    if (hit && hit.until > clock.now()) return hit.members;
    try {
      const answer = await client.usergroups.users.list({ usergroup: group });
      const set = new Set(answer.users ?? []);
      cache.set(group, { members: set, until: clock.now() + TTL_MS });
      return set;
    } catch (error) {
      logger.warn(
        { err: error, group },
        'cannot read user group members (usergroups:read scope?); treating as not a member',
      );
      return new Set();
    }
  }
  return async (userId: string, candidates: readonly string[]): Promise<string[]> => {
    const groups = candidates.filter((id) => id.startsWith('S'));
    const found = await Promise.all(
      groups.map(async (group) => ((await members(group)).has(userId) ? group : undefined)),
    );
    return found.filter((group): group is string => group !== undefined);
  };
}

export type GroupResolver = ReturnType<typeof createGroupResolver>;
