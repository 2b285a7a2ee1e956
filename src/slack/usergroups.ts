import type { WebClient } from '@slack/web-api';
import type { GroupDirectory } from '../engine/group-membership.js';

/**
 * A user group's members as Slack has them now (`usergroups.users.list`, scope usergroups:read). It throws when
 * Slack cannot answer: engine/group-membership.ts decides what counts then (a recent snapshot, else nobody).
 */
export function slackGroupDirectory(client: WebClient): GroupDirectory {
  return {
    async members(group) {
      const answer = await client.usergroups.users.list({ usergroup: group });
      return answer.users ?? [];
    },
  };
}
