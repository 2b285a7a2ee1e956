import type { View } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { RollbotError } from '../../core/errors.js';
import { failureReply, type SlackContext } from '../context.js';
import { slackErrorText } from '../notifier/errors.js';

/** A form whose content is only known once the store (and Slack, for user groups) has answered. */
export interface FormToFill {
  /** Who pressed or typed: a refusal is worded for them (failureReply). */
  user: string;
  /** What the modal says while `fill` reads: opened at once, with the trigger. */
  loading: View;
  /** The modal's title when `fill` throws: what the person cannot do ("Cannot roll back"). */
  refusedTitle: string;
  /**
   * The form, from what the store and Slack say now; it throws (a refusal, the incident over…) when the person
   * cannot go on, and the modal then says why, in the words a reply would have.
   */
  fill: () => Promise<View>;
  /** What Slack failed to show when the filled form does not replace `loading` ("the plan"), and what to do then. */
  notFilled: { what: string; hint: string };
}

/**
 * Opens a modal at once with `triggerId` — valid 3 s, and used before any store read or Slack call that a slow
 * moment at 2am could hold past that — showing `form.loading`, then replaces it with the filled form, or with why
 * the person cannot go on. Throws what `views.open` threw when Slack does not open it (the caller says what to do
 * instead), and FormNotFilled when the modal opened but was not replaced.
 */
export async function openThenFill(
  context: SlackContext,
  client: WebClient,
  triggerId: string,
  form: FormToFill,
): Promise<void> {
  const opened = await client.views.open({ trigger_id: triggerId, view: form.loading });
  const viewId = opened.view?.id;
  if (!viewId) return;
  let view: View;
  try {
    view = await form.fill();
  } catch (error) {
    view = messageView(form.refusedTitle, failureReply(context, error, form.user));
  }
  try {
    await client.views.update({ view_id: viewId, view });
  } catch (error) {
    throw new FormNotFilled(form.notFilled, error);
  }
}

/**
 * Slack opened a form but did not take its content into it: the person is looking at the loading modal, so
 * telling them the form did not open would contradict what they see.
 */
export class FormNotFilled extends RollbotError {
  constructor(notFilled: FormToFill['notFilled'], cause: unknown) {
    const why = slackErrorText(cause);
    super('UNAVAILABLE', `Slack did not show ${notFilled.what} in the form (${why})`, {
      hint: notFilled.hint,
      cause,
    });
  }
}

/** A modal that only says something (loading, a refusal): Close, nothing to submit. */
export function messageView(title: string, text: string): View {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: title.slice(0, 24) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }],
  };
}
