import type { WebClient } from '@slack/web-api';
import type { InputBlock, View } from '@slack/types';
import { isRollbotError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { requestRollback, type RollbackRequestResult } from '../../engine/decisions.js';
import { rollback } from '../../engine/rollback.js';
import { errorReply } from '../blocks/command-replies.js';
import { rollbackModal } from '../blocks/rollback-modal.js';
import { actorFor, tellUser, type SlackContext } from '../context.js';
import { INPUTS } from '../ids.js';

export interface RollbackTarget {
  model: string;
  incidentId?: string;
  to?: string;
  /** Pre-filled reason (from `/rollback <model> <reason>`). */
  reason?: string;
  /** Where the person acted, for ephemeral replies. */
  channel?: string;
  /** The incident whose decision request's Roll back was pressed: the submission is refused once it was decided. */
  decisionOf?: string;
}

/**
 * Opens the rollback modal at once (a trigger lives 3 s) showing "planning…", then plans through the engine —
 * the same read-and-plan as a dry run — and replaces the modal with the plan and the reason input.
 */
export async function openRollbackModal(
  context: SlackContext,
  client: WebClient,
  triggerId: string,
  target: RollbackTarget,
): Promise<void> {
  const opened = await client.views.open({ trigger_id: triggerId, view: planningView(target.model) });
  const viewId = opened.view?.id;
  if (!viewId) return;
  let view: View;
  try {
    const runbook = context.deps.runbooks.require(target.model);
    const dry = await rollback(context.deps, {
      model: target.model,
      reason: 'planning',
      by: 'slack',
      trigger: 'slack',
      dryRun: true,
      ...(target.to ? { to: target.to } : {}),
    });
    view = rollbackModal({
      model: target.model,
      ...(target.incidentId ? { incidentId: target.incidentId } : {}),
      plan: dry.plan,
      state: dry.state,
      target: dry.target,
      policy: runbook.rollback.policy,
    });
    view = withMetadata(withReason(view, target.reason), {
      channel: target.channel,
      decisionOf: target.decisionOf,
    });
  } catch (error) {
    view = messageView('Cannot roll back', errorReply(error));
  }
  await client.views.update({ view_id: viewId, view });
}

/** Runs the submitted rollback through the engine and tells the person how it went. */
export async function submitRollback(
  context: SlackContext,
  client: WebClient,
  input: {
    user: string;
    model: string;
    to?: string;
    reason: string;
    dryRun: boolean;
    channel?: string;
    decisionOf?: string;
  },
): Promise<void> {
  const where = { channel: input.channel, user: input.user };
  try {
    const actor = await actorFor(context, input.user, input.model);
    const result = await requestRollback(context.deps, {
      model: input.model,
      reason: input.reason,
      actor,
      trigger: 'slack',
      dryRun: input.dryRun,
      ...(input.to ? { to: input.to } : {}),
      ...(input.decisionOf ? { decisionOf: input.decisionOf } : {}),
    });
    await tellUser(context, client, where, describe(result));
  } catch (error) {
    if (!isRollbotError(error)) context.deps.logger.error({ err: error }, 'rollback from Slack failed');
    await tellUser(context, client, where, errorReply(error));
  }
}

function describe(result: RollbackRequestResult): string {
  if (result.status === 'awaiting-approval') {
    const where = result.pending.incidentId
      ? 'in the incident thread'
      : 'on the request posted in the channel';
    return `Requested. Two-person rule: a different approver must press *Approve rollback* ${where}.`;
  }
  const { outcome, plan, incidentId, error } = result.outcome;
  if (outcome === 'dry-run') {
    return `Dry run: would roll ${result.outcome.model} back ${plan.from ?? '(unknown)'} → ${plan.to} (${plan.regime}, ETA ${formatDuration(plan.etaMs)}). Nothing was changed.`;
  }
  if (outcome === 'succeeded')
    return `Rolled back to ${plan.to} (${incidentId}); confirmation is running — progress in the incident thread.`;
  return `Rollback FAILED (${incidentId}): ${error?.message ?? 'unknown error'}${error?.hint ? `\nfix: ${error.hint}` : ''}`;
}

function planningView(model: string): View {
  return messageView('Roll back', `Reading the serving layer of *${model}* and planning the rollback…`);
}

function messageView(title: string, text: string): View {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: title.slice(0, 24) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }],
  };
}

/** Pre-fills the reason input, when the person already gave one. */
function withReason(view: View, reason: string | undefined): View {
  if (!reason) return view;
  const blocks = view.blocks.map((block) => {
    if (block.block_id !== INPUTS.reason.block || !('element' in block)) return block;
    const input = block as InputBlock;
    return input.element.type === 'plain_text_input'
      ? { ...input, element: { ...input.element, initial_value: reason.slice(0, 3000) } }
      : block;
  });
  return { ...view, blocks };
}

/** Adds where the person acted to the modal's metadata, for the replies after submission. */
function withMetadata(view: View, extra: Record<string, string | undefined>): View {
  const metadata = { ...(JSON.parse(view.private_metadata ?? '{}') as Record<string, unknown>), ...extra };
  const text = JSON.stringify(metadata);
  return text.length <= 3000 ? { ...view, private_metadata: text } : view;
}
