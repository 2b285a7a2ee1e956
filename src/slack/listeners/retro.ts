import { mention } from '../blocks/thread.js';
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { View } from '@slack/types';
import { isRollbotError, RollbotError } from '../../core/errors.js';
import { parseActionItems } from '../../core/retro.js';
import { closeActionItem, completeRetrospective, getRetrospective } from '../../engine/retro.js';
import { notesOf } from '../../engine/notes.js';
import { retroTemplate } from '../../engine/retro-template.js';
import { codeBlock, escapeLine, escapeText, truncate } from '../blocks/limits.js';
import { CLOSE_ITEM_ACTION, retroModal } from '../blocks/retro.js';
import {
  authorizeUserOn,
  failureReply,
  firstSubmission,
  inputText,
  readJsonObject,
  replyMetadata,
  replyToPress,
  replyToSubmission,
  tellUser,
  type InputId,
  type ReplyTo,
  type SlackContext,
} from '../context.js';
import { ACTIONS, INPUTS, VIEWS } from '../ids.js';
import { slackErrorText } from '../notifier/errors.js';
import { FormNotFilled, messageView, openThenFill } from './open-form.js';

type ButtonBody = BlockAction<ButtonAction>;

/** Slack shows a modal field error under its input; a short one reads better there. */
const FIELD_ERROR_MAX = 300;
/** Room for each box handed back (3,000 characters typed, some escaped): four fit well within a message's text. */
const WRITTEN_MAX = 3_500;

/**
 * What someone wrote in the modal, for a reply when the completion did not go through: the modal closed as it was
 * submitted and keeps nothing, and a root cause and action items written over twenty minutes are not to be
 * written again from memory. Each box in a code block, as typed (escaped), to copy back.
 */
function whatYouWrote(
  written: Record<'Root cause' | 'What went well' | 'What went badly' | 'Action items', string>,
): string {
  const boxes = Object.entries(written)
    .filter(([, text]) => text !== '')
    .map(([label, text]) => `${label}:\n${codeBlock(text, WRITTEN_MAX)}`);
  return `\n\nWhat you wrote, to add it or submit it again:\n${boxes.join('\n')}`;
}

/** What to do when the form did not open, or opened without the retrospective in it. */
const AGAIN = 'press *Complete retrospective* again';

/**
 * When Slack does not open the retrospective form (a trigger that expired after a slow moment, Slack unavailable),
 * a RollbotError saying so and what to do, as the rollback forms do, rather than "something went wrong": the press
 * did nothing, and pressing again is the fix. A form that opened but was not filled in says so itself.
 */
function notOpened(context: SlackContext, error: unknown): RollbotError {
  if (error instanceof FormNotFilled) return error;
  context.deps.logger.warn({ err: error }, 'a modal could not be opened');
  return new RollbotError('UNAVAILABLE', `Slack did not open the form (${slackErrorText(error)})`, {
    hint: AGAIN,
    cause: error,
  });
}

/**
 * The retrospective form for `user`, from what the store says now; someone the runbook does not let complete it is
 * refused (thrown), and one completed already says by whom.
 */
async function retroForm(
  context: SlackContext,
  user: string,
  incidentId: string,
  where: ReplyTo,
): Promise<View> {
  const { deps } = context;
  const [incident, retro, notes] = await Promise.all([
    deps.store.getIncident(incidentId),
    getRetrospective(deps, incidentId),
    notesOf(deps, incidentId),
  ]);
  if (!incident) throw new RollbotError('NOT_FOUND', `no incident ${incidentId}`);
  // Told before filling in the form, not after; the submission checks again.
  await authorizeUserOn(context, user, incidentId, 'complete the retrospective of');
  if (retro?.completedAt !== undefined)
    return messageView(
      'Retrospective',
      `The retrospective of ${incidentId} was completed already by ${mention(retro.completedBy ?? '?')}.`,
    );
  const view = retroModal({
    incidentId,
    model: incident.model,
    template: retroTemplate(incident, deps.clock.now(), notes),
  });
  // Where the button was pressed rides along, so that the submission is answered there.
  const metadata = JSON.stringify({ ...readJsonObject(view.private_metadata), ...replyMetadata(where) });
  return { ...view, private_metadata: metadata };
}

/**
 * The retrospective's buttons and modal: **Complete retrospective** opens the form, submitting it completes the
 * retrospective (closing the incident), and **Close** closes one action item. Every handler acks first.
 */
export function registerRetro(app: App, context: SlackContext): void {
  const { deps } = context;
  const from = (body: ButtonBody) => ({
    value: readJsonObject(body.actions[0]?.value),
    user: body.user.id,
    where: replyToPress(body),
  });

  app.action<ButtonBody>(ACTIONS.completeRetro, async ({ ack, body, client }) => {
    await ack();
    const { value, user, where } = from(body);
    const incidentId = value.incidentId ?? '';
    try {
      // Opened at once (a trigger lives 3 s), then filled in from the store, which a slow moment could hold.
      await openThenFill(context, client, body.trigger_id, {
        user,
        loading: messageView('Retrospective', `Reading the timeline of *${escapeLine(incidentId, 200)}*…`),
        refusedTitle: 'Retrospective',
        fill: () => retroForm(context, user, incidentId, where),
        notFilled: { what: 'the retrospective', hint: `close the form, then ${AGAIN}` },
      });
    } catch (error) {
      await tellUser(context, client, where, failureReply(context, notOpened(context, error), where.user));
    }
  });

  app.view(VIEWS.retro, async ({ ack, body, view, client }) => {
    const read = (id: InputId) => inputText(view, id);
    const rootCause = read(INPUTS.rootCause);
    const actionItemsText = read(INPUTS.actionItems);
    if (!rootCause) {
      await ack({
        response_action: 'errors',
        errors: { [INPUTS.rootCause.block]: 'Say what caused it ("unknown yet: …" is an answer).' },
      });
      return;
    }
    try {
      parseActionItems(actionItemsText, deps.clock.now());
    } catch (error) {
      if (!isRollbotError(error)) throw error;
      const message = truncate(`${error.message}. ${error.hint ?? ''}`, FIELD_ERROR_MAX);
      await ack({ response_action: 'errors', errors: { [INPUTS.actionItems.block]: message } });
      return;
    }
    await ack();
    const meta = readJsonObject(view.private_metadata);
    const where = replyToSubmission(meta, body.user.id);
    const [wentWell, wentBadly] = [read(INPUTS.wentWell), read(INPUTS.wentBadly)];
    const written = whatYouWrote({
      'Root cause': rootCause,
      'What went well': wentWell,
      'What went badly': wentBadly,
      'Action items': actionItemsText,
    });
    // A double submit of the same modal is one completion.
    const again = `press Complete retrospective on its message again${written}`;
    if (!(await firstSubmission(context, client, view.id, where, again))) return;
    try {
      await authorizeUserOn(context, body.user.id, meta.incidentId ?? '', 'complete the retrospective of');
      const retro = await completeRetrospective(deps, meta.incidentId ?? '', {
        by: body.user.id,
        rootCause,
        wentWell,
        wentBadly,
        actionItemsText,
      });
      const items = retro.actionItems.length;
      await tellUser(
        context,
        client,
        where,
        `Retrospective of ${escapeText(retro.incidentId, 100)} completed, incident closed; ${items} action item(s) recorded.`,
      );
    } catch (error) {
      await tellUser(context, client, where, `${failureReply(context, error, where.user)}${written}`);
    }
  });

  app.action<ButtonBody>(CLOSE_ITEM_ACTION, async ({ ack, body, client }) => {
    await ack();
    const { value, user, where } = from(body);
    const incidentId = value.incidentId ?? '';
    try {
      await authorizeUserOn(context, user, incidentId, 'close action items of');
      const { item, changed } = await closeActionItem(deps, incidentId, value.itemId ?? '', user);
      const what = `${escapeText(item.id, 20)} of ${escapeText(incidentId, 100)}`;
      const text = changed
        ? `Closed action item ${what}: ${escapeText(item.text, 500)}`
        : `Action item ${what} was closed already by ${mention(item.closedBy ?? '?')}.`;
      await tellUser(context, client, where, text);
    } catch (error) {
      await tellUser(context, client, where, failureReply(context, error, where.user));
    }
  });
}
