import type { WebClient } from '@slack/web-api';
import type { Actor } from '../core/policy.js';
import type { EngineDeps } from '../engine/context.js';
import type { GroupResolver } from './usergroups.js';

/** What every listener gets: the engine, and how to learn a user's groups. */
export interface SlackContext {
  deps: EngineDeps;
  groupsOf: GroupResolver;
}

/** The person behind a Slack request, with the runbook's user groups they belong to. */
export async function actorFor(context: SlackContext, userId: string, model: string): Promise<Actor> {
  const runbook = context.deps.runbooks.get(model);
  const groups = runbook ? await context.groupsOf(userId, runbook.rollback.approvers) : [];
  return { id: userId, groups };
}

/** A reply only the user sees, in the channel they acted from. Failures are logged, never thrown. */
export async function tellUser(
  context: SlackContext,
  client: WebClient,
  where: { channel: string | undefined; user: string },
  text: string,
): Promise<void> {
  if (!where.channel) return;
  try {
    await client.chat.postEphemeral({ channel: where.channel, user: where.user, text });
  } catch (error) {
    context.deps.logger.warn({ err: error, channel: where.channel }, 'cannot send an ephemeral reply');
  }
}

/** The JSON a button's `value` or a modal's `private_metadata` carries, read defensively. */
export function readJsonObject(text: string | undefined): Record<string, string> {
  try {
    const parsed = JSON.parse(text ?? '{}') as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, string>)
      : {};
  } catch {
    return {};
  }
}
