import type { ModalView } from '@slack/types';
import { VIEWS } from '../ids.js';
import { escapeLine } from './limits.js';
import { modalMetadata, reasonInput } from './rollback-modal.js';

/** What the "not a rollback" modal carries to its view_submission handler. */
export interface NotRollbackModalMetadata {
  model: string;
  incidentId: string;
}

/**
 * The "Not a rollback" modal: dismisses the incident without touching the serving layer. The reason is required
 * because a dismissed incident is the one a retrospective asks about later.
 */
export function notRollbackModal(input: { model: string; incidentId: string }): ModalView {
  const metadata: NotRollbackModalMetadata = { model: input.model, incidentId: input.incidentId };
  const text =
    `Dismiss *${escapeLine(input.incidentId, 200)}* (${escapeLine(input.model, 200)}) as *not a rollback*: ` +
    'nothing is rolled back, the incident is closed and the reason goes on its timeline.';
  return {
    type: 'modal',
    callback_id: VIEWS.notRollback,
    title: { type: 'plain_text', text: 'Not a rollback' },
    submit: { type: 'plain_text', text: 'Dismiss incident' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: modalMetadata(metadata),
    blocks: [
      { type: 'section', block_id: 'not_rollback_summary', text: { type: 'mrkdwn', text } },
      reasonInput('Why is this not a rollback?', 'e.g. upstream data outage, not the model; noisy alert'),
    ],
  };
}
