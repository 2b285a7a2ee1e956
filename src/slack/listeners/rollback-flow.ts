import type { WebClient } from '@slack/web-api';
import type { InputBlock, View } from '@slack/types';
import { formatDuration } from '../../core/duration.js';
import { plannedOn, refuseStale, type ActedOn, type PlannedOn } from '../../engine/acted-on.js';
import { refusalOf } from '../../engine/authorize.js';
import { requestRollback, type RollbackRequestResult } from '../../engine/rollback-request.js';
import { rollback } from '../../engine/rollback.js';
import { escapeLine } from '../blocks/limits.js';
import { modalMetadata, rollbackModal } from '../blocks/rollback-modal.js';
import { actAs, failureReply, tellUser, type SlackContext } from '../context.js';
import { INPUTS } from '../ids.js';
import { messageView, openThenFill } from './open-form.js';

export interface RollbackTarget {
  model: string;
  /** The incident whose message or decision request's Roll back was pressed: planned for, and held to. */
  actedOn?: ActedOn;
  to?: string;
  /** Pre-filled reason (from `/rollback <model> <reason>`). */
  reason?: string;
  /** Where the person acted, for ephemeral replies. */
  channel?: string;
  /** A `/rollback`'s response_url: the reply after submission reaches them where rollbot cannot post. */
  responseUrl?: string;
  /** Who is opening it: someone the runbook does not let roll back is told so instead of shown a form. */
  user: string;
}

/**
 * Opens the rollback modal at once (a trigger lives 3 s) showing "planning…", then plans through the engine —
 * the same read-and-plan as a dry run — and replaces the modal with the plan and the reason input, or with why
 * the person cannot roll back from there.
 */
export async function openRollbackModal(
  context: SlackContext,
  client: WebClient,
  triggerId: string,
  target: RollbackTarget,
): Promise<void> {
  await openThenFill(context, client, triggerId, {
    user: target.user,
    loading: planningView(target.model),
    refusedTitle: 'Cannot roll back',
    fill: () => plannedForm(context, target),
    notFilled: { what: 'the plan', hint: `close the form, then run \`/rollback ${target.model}\` again` },
  });
}

/**
 * The rollback form with the plan, or a refusal (thrown): what the button was pressed on no longer stands
 * (engine/acted-on.ts: a decision request's decision made, the incident message's incident over), or the runbook
 * does not let the person roll back.
 */
async function plannedForm(context: SlackContext, target: RollbackTarget): Promise<View> {
  if (target.actedOn) await refuseStale(context.deps, target.actedOn, target.model);
  const runbook = context.deps.runbooks.require(target.model);
  const refused = await actAs(context, target.user, target.model, async (actor) =>
    refusalOf(runbook, actor, 'roll back', context.deps.runbooks.fileOf(runbook.model)),
  );
  // Their submission would be refused: say so now, rather than after they read the plan and typed a reason.
  if (refused) throw refused;
  const act = target.actedOn ?? (await plannedOn(context.deps, target.model));
  const dry = await rollback(context.deps, {
    model: target.model,
    reason: 'planning',
    by: 'slack',
    trigger: 'slack',
    dryRun: true,
    ...(target.to ? { to: target.to } : {}),
    actedOn: act,
  });
  const view = rollbackModal({
    model: target.model,
    ...(act.incidentId === undefined ? {} : { incidentId: act.incidentId }),
    plan: dry.plan,
    state: dry.state,
    target: dry.target,
    policy: runbook.rollback.policy,
  });
  return withMetadata(withReason(view, target.reason), {
    channel: target.channel,
    responseUrl: target.responseUrl,
    decisionOf: act.until === 'decided' ? act.incidentId : undefined,
    planned: act.until === 'unchanged' ? plannedMark(act) : undefined,
  });
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
    responseUrl?: string;
    actedOn?: ActedOn;
    from?: string;
  },
): Promise<void> {
  const where = { channel: input.channel, user: input.user, responseUrl: input.responseUrl };
  try {
    const result = await actAs(context, input.user, input.model, (actor) =>
      requestRollback(context.deps, {
        model: input.model,
        reason: input.reason,
        actor,
        trigger: 'slack',
        dryRun: input.dryRun,
        ...(input.to ? { to: input.to } : {}),
        ...(input.from ? { from: input.from } : {}),
        ...(input.actedOn ? { actedOn: input.actedOn } : {}),
      }),
    );
    await tellUser(context, client, where, describe(result));
  } catch (error) {
    await tellUser(context, client, where, failureReply(context, error, input.user));
  }
}

/**
 * How a submitted rollback went, for the person who submitted it. Versions, the model and what the serving layer
 * said are outside text: escaped (Slack would read `<nil>` as a link and drop it) and cut so that the reply stays
 * within what Slack posts (a command adapter's stderr can be long): a reply Slack refuses tells nobody anything.
 */
function describe(result: RollbackRequestResult): string {
  if (result.status === 'awaiting-approval') {
    const where = result.pending.incidentId
      ? 'in the incident thread'
      : 'on the request posted in the channel';
    return `Requested. Two-person rule: a different approver must press *Approve rollback* ${where}.`;
  }
  const { outcome, plan, error } = result.outcome;
  const [model, from, to] = [result.outcome.model, plan.from ?? '(unknown)', plan.to].map((text) =>
    escapeLine(text, 200),
  );
  const incidentId = escapeLine(result.outcome.incidentId ?? '', 100);
  if (outcome === 'dry-run') {
    return `Dry run: would roll ${model} back ${from} → ${to} (${plan.regime}, ETA ${formatDuration(plan.etaMs)}). Nothing was changed.`;
  }
  if (outcome === 'succeeded')
    return `Rolled back to ${to} (${incidentId}); confirmation is running — progress in the incident thread.`;
  // An unknown outcome's message says so ("outcome unknown: the change to … was made, but …"): not FAILED.
  return `Rollback${outcome === 'unknown' ? '' : ' FAILED'} (${incidentId}): ${failure(error)}`;
}

/** What a failed rollback's error says, and its fix, escaped and cut (see describe). */
export function failure(error: { message: string; hint?: string } | undefined): string {
  if (!error) return 'unknown error';
  const fix = error.hint ? `\nfix: ${escapeLine(error.hint, 1000)}` : '';
  return `${escapeLine(error.message, 2500)}${fix}`;
}

function planningView(model: string): View {
  return messageView('Roll back', `Reading the serving layer of *${model}* and planning the rollback…`);
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

/**
 * Adds where the person acted (for the replies after submission), the decision request they answered and what a
 * `/rollback` was planned against to the modal's metadata; refused, as the plan's own metadata is, rather than cut
 * when it does not fit.
 */
function withMetadata(view: View, extra: Record<string, string | undefined>): View {
  const metadata = { ...(JSON.parse(view.private_metadata ?? '{}') as Record<string, unknown>), ...extra };
  return { ...view, private_metadata: modalMetadata(metadata) };
}

/** A `/rollback` modal's `planned` metadata: what was open then (its incident, if any, is `incidentId`). */
function plannedMark(act: PlannedOn): 'none' | 'incident' | 'drill' {
  if (act.incidentId === undefined) return 'none';
  return act.drill ? 'drill' : 'incident';
}

/**
 * The incident a submitted modal was opened on, from its metadata: a `/rollback`'s (`planned`), held to while it
 * is still what is open for the model; a decision request's (`decisionOf`), held to until the decision is made, or
 * an incident message's (`incidentId` alone), held to until the incident is over.
 */
export function actedOnOf(metadata: Record<string, string>): ActedOn | undefined {
  const planned = metadata.planned;
  if (planned === 'none') return { drill: false, until: 'unchanged' };
  if ((planned === 'incident' || planned === 'drill') && metadata.incidentId)
    return { incidentId: metadata.incidentId, drill: planned === 'drill', until: 'unchanged' };
  if (metadata.decisionOf) return { incidentId: metadata.decisionOf, until: 'decided' };
  if (metadata.incidentId) return { incidentId: metadata.incidentId, until: 'over' };
  return undefined;
}
