import { mention } from '../blocks/thread.js';
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { View } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { refuseStale, type OnIncident } from '../../engine/acted-on.js';
import { refusalOf } from '../../engine/authorize.js';
import { acknowledge, dismissAs } from '../../engine/decisions.js';
import { approveRollback } from '../../engine/rollback-request.js';
import { approveDeployment } from '../../engine/approve-deployment.js';
import { slackDate } from '../blocks/elements.js';
import { escapeLine } from '../blocks/limits.js';
import { slackErrorText } from '../notifier/errors.js';
import { notRollbackModal } from '../blocks/not-rollback-modal.js';
import { runbookSummary } from '../blocks/runbook-summary.js';
import {
  actAs,
  failureReply,
  firstSubmission,
  inputChecked,
  inputText,
  readJsonObject,
  replyMetadata,
  replyToPress,
  replyToSubmission,
  tellUser,
  type SlackContext,
} from '../context.js';
import { ACTIONS, INPUTS, VIEWS } from '../ids.js';
import { FormNotFilled, messageView, openThenFill } from './open-form.js';
import { actedOnOf, failure, openRollbackModal, submitRollback } from './rollback-flow.js';

type ButtonBody = BlockAction<ButtonAction>;

/** The incident message's buttons and the modals behind them. Every handler acks before any other work. */
export function registerInteractions(app: App, context: SlackContext): void {
  const { deps } = context;
  /** What a button was pressed on, and where its person is answered (replyToPress). */
  const target = (body: ButtonBody) => {
    const value = readJsonObject(body.actions[0]?.value);
    return { model: value.model ?? '', incidentId: value.incidentId ?? '', where: replyToPress(body) };
  };

  app.action<ButtonBody>(ACTIONS.acknowledge, async ({ ack, body, client }) => {
    await ack();
    const { incidentId, where } = target(body);
    try {
      const { changed, incident } = await acknowledge(deps, incidentId, body.user.id);
      if (!changed)
        await tellUser(
          context,
          client,
          where,
          `${incidentId} was acknowledged already by ${mention(incident.acknowledged?.by ?? '?')}.`,
        );
    } catch (error) {
      await tellUser(context, client, where, failureReply(context, error, where.user));
    }
  });

  /**
   * Runs `open` (a modal for a press), or — when Slack does not show it (a trigger expired after a slow moment,
   * Slack unavailable) — tells the person so, with the command that does the same: a press must never do nothing.
   */
  const openOrSay = async (
    body: ButtonBody,
    client: WebClient,
    open: () => Promise<void>,
    instead: string,
  ) => {
    try {
      await open();
    } catch (error) {
      deps.logger.warn({ err: error, user: body.user.id }, 'a modal could not be opened');
      const why = slackErrorText(error);
      // A form that opened but was not filled in is on the person's screen: say what they see.
      const said =
        error instanceof FormNotFilled
          ? `${error.message}: close it, then ${instead}`
          : `Slack did not open the form (${why}): ${instead}`;
      await tellUser(context, client, target(body).where, said);
    }
  };

  /**
   * "Not a rollback", on the incident message or a decision request: the form asking why opens at once (a trigger
   * lives 3 s; the checks below read the store and may ask Slack for a user group's members) and is filled in only
   * while the decision is still to be made and the person may make it. Otherwise they would be refused after
   * typing their reason: the form says why instead (a message not redrawn yet still shows the button after the
   * decision), in the words a reply would have.
   */
  const notRollback = async (body: ButtonBody, client: WebClient) => {
    const { incidentId } = target(body);
    const instead = `run \`/incident dismiss ${incidentId} <reason>\``;
    await openOrSay(
      body,
      client,
      () =>
        openThenFill(context, client, body.trigger_id, {
          user: body.user.id,
          loading: messageView('Not a rollback', `Checking *${escapeLine(incidentId, 200)}*…`),
          refusedTitle: 'Cannot dismiss',
          fill: () => notRollbackForm(body),
          notFilled: { what: 'the question', hint: `close the form, then ${instead}` },
        }),
      `${instead} instead.`,
    );
  };

  /** The form asking why, or a refusal (thrown): the decision was made, or the runbook does not let them. */
  const notRollbackForm = async (body: ButtonBody): Promise<View> => {
    const { model, incidentId, where } = target(body);
    await refuseStale(deps, { incidentId, until: 'decided' }, model);
    const runbook = deps.runbooks.require(model);
    const refused = await actAs(context, body.user.id, model, async (actor) =>
      refusalOf(runbook, actor, 'dismiss', deps.runbooks.fileOf(runbook.model)),
    );
    if (refused) throw refused;
    const view = notRollbackModal({ model, incidentId });
    // Where the button was pressed rides along, so that the submission is answered there.
    const metadata = { ...readJsonObject(view.private_metadata), ...replyMetadata(where) };
    return { ...view, private_metadata: JSON.stringify(metadata) };
  };

  app.action<ButtonBody>(ACTIONS.notRollback, async ({ ack, body, client }) => {
    await ack();
    await notRollback(body, client);
  });

  /**
   * Roll back, on the incident message or a decision request: the modal, planned for the incident pressed on; it
   * says what happened instead once that no longer stands (rollback-flow.ts plannedForm).
   */
  const rollBack = async (body: ButtonBody, client: WebClient, until: OnIncident['until']) => {
    const { model, incidentId, where } = target(body);
    await openOrSay(
      body,
      client,
      () =>
        openRollbackModal(context, client, body.trigger_id, {
          model,
          user: body.user.id,
          actedOn: { incidentId, until },
          ...replyMetadata(where),
        }),
      `run \`/rollback ${model}\` instead (or, without Slack, \`rollbot rollback ${model} --reason "…"\`).`,
    );
  };

  app.action<ButtonBody>(ACTIONS.rollback, async ({ ack, body, client }) => {
    await ack();
    await rollBack(body, client, 'over');
  });

  app.action<ButtonBody>(ACTIONS.decisionRollback, async ({ ack, body, client }) => {
    await ack();
    await rollBack(body, client, 'decided');
  });

  app.action<ButtonBody>(ACTIONS.decisionNotRollback, async ({ ack, body, client }) => {
    await ack();
    await notRollback(body, client);
  });

  app.action<ButtonBody>(ACTIONS.runbook, async ({ ack, body, client }) => {
    await ack();
    const { model, where } = target(body);
    const runbook = deps.runbooks.get(model);
    await tellUser(context, client, where, runbook ? runbookSummary(runbook) : `no runbook for ${model}`);
  });

  app.action<ButtonBody>(ACTIONS.approve, async ({ ack, body, client }) => {
    await ack();
    const { model, incidentId, where } = target(body);
    // The request the message shows (absent on buttons drawn before it was carried): one replacing it is refused.
    const requestedAt = Number(readJsonObject(body.actions[0]?.value).requestedAt);
    try {
      // The incident of the message pressed: the engine refuses if that incident ended or is not the request's.
      const outcome = await actAs(context, body.user.id, model, (actor) =>
        approveRollback(deps, {
          model,
          actor,
          trigger: 'slack',
          ...(incidentId ? { incidentId } : {}),
          ...(Number.isFinite(requestedAt) ? { requestedAt } : {}),
        }),
      );
      const text =
        outcome.outcome === 'succeeded'
          ? `Approved: rolled back to ${escapeLine(outcome.plan.to, 200)}.`
          : outcome.outcome === 'unknown'
            ? `Approved: ${failure(outcome.error)}`
            : `Approved, but the rollback FAILED: ${failure(outcome.error)}`;
      await tellUser(context, client, where, text);
    } catch (error) {
      await tellUser(context, client, where, failureReply(context, error, where.user));
    }
  });

  app.action<ButtonBody>(ACTIONS.approveDeployment, async ({ ack, body, client }) => {
    await ack();
    const { model, where } = target(body);
    // The deployment the message asked about (absent on buttons drawn before it was carried): a press once
    // another one waits (a later rollback's, the next tier-1 deployment) is refused with where that one is.
    const { askedFor } = readJsonObject(body.actions[0]?.value);
    try {
      const { approved } = await actAs(context, body.user.id, model, (actor) =>
        approveDeployment(deps, model, {
          actor,
          reason: 'approved in Slack',
          ...(askedFor ? { askedFor } : {}),
        }),
      );
      // A new approval is announced in the channel; a renewal is said to whoever renewed it.
      if (approved?.renewed) {
        const given = `${mention(approved.by)}'s approval (${slackDate(approved.at)})`;
        await tellUser(
          context,
          client,
          where,
          `The next deployment of ${escapeLine(model, 100)} was approved already: ${given} is renewed, and lets it through until ${slackDate(approved.until)}.`,
        );
      }
    } catch (error) {
      await tellUser(context, client, where, failureReply(context, error, where.user));
    }
  });

  app.view(VIEWS.rollback, async ({ ack, body, view, client }) => {
    const reason = inputText(view, INPUTS.reason);
    if (!reason) {
      await ack({
        response_action: 'errors',
        errors: { [INPUTS.reason.block]: 'Say why: the reason goes on the incident record.' },
      });
      return;
    }
    await ack();
    const meta = readJsonObject(view.private_metadata);
    const where = replyToSubmission(meta, body.user.id);
    // A double submit of the same modal is one request.
    if (!(await firstSubmission(context, client, view.id, where, `\`/rollback ${meta.model ?? '<model>'}\``)))
      return;
    const dryRun = inputChecked(view, INPUTS.dryRun);
    const actedOn = actedOnOf(meta);
    await submitRollback(context, client, {
      user: body.user.id,
      model: meta.model ?? '',
      reason,
      dryRun,
      ...(meta.to ? { to: meta.to } : {}),
      ...(meta.from ? { from: meta.from } : {}),
      ...(meta.channel ? { channel: meta.channel } : {}),
      ...(meta.responseUrl ? { responseUrl: meta.responseUrl } : {}),
      ...(actedOn ? { actedOn } : {}),
    });
  });

  app.view(VIEWS.notRollback, async ({ ack, body, view, client }) => {
    const reason = inputText(view, INPUTS.reason);
    if (!reason) {
      await ack({
        response_action: 'errors',
        errors: { [INPUTS.reason.block]: 'Say why this is not a rollback.' },
      });
      return;
    }
    await ack();
    const meta = readJsonObject(view.private_metadata);
    const where = replyToSubmission(meta, body.user.id);
    const again = `\`/incident dismiss ${meta.incidentId ?? '<id>'} <reason>\``;
    if (!(await firstSubmission(context, client, view.id, where, again))) return;
    try {
      await dismissAs(deps, context.groupsOf, meta.incidentId ?? '', {
        userId: body.user.id,
        reason,
        trigger: 'slack',
      });
    } catch (error) {
      await tellUser(context, client, where, failureReply(context, error, where.user));
    }
  });
}
