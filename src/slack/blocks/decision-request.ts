import type { KnownBlock } from '@slack/types';
import type { RollbackPolicy } from '../../runbooks/defaults.js';
import { ACTIONS } from '../ids.js';
import { actionValue, button, contextLine, section } from './elements.js';
import { escapeLine, LIMITS } from './limits.js';
import { mentions } from './thread.js';

export interface DecisionRequestInput {
  model: string;
  /** Empty for a two-person request made while the model had no open incident. */
  incidentId: string;
  /** Why a person must decide, from the engine (plain text). */
  text: string;
  policy: RollbackPolicy;
  /** User (U…) and user-group (S…) IDs who may decide; empty: anyone in the channel. */
  approvers: string[];
  /** A two-person request's `at`: its Approve rollback approves that request only, not one replacing it. */
  requestedAt?: number;
}

/**
 * The thread message that asks a person to decide. Two-person policy: the rollback was requested already and
 * needs a second person's Approve. Otherwise: Roll back or Not a rollback, as on the incident message, but
 * answering this request: the message is never redrawn, so once the decision was made its buttons say so.
 */
export function decisionRequest(input: DecisionRequestInput): { text: string; blocks: KnownBlock[] } {
  const { incidentId, model, requestedAt } = input;
  const value = actionValue({ incidentId, model, ...(requestedAt === undefined ? {} : { requestedAt }) });
  const who = mentions(input.approvers, 'anyone in this channel');
  const body = escapeLine(input.text, LIMITS.sectionText - 40) || 'A decision is needed.';
  const elements =
    input.policy === 'two-person'
      ? [button(ACTIONS.approve, 'Approve rollback', value, 'danger')]
      : [
          button(ACTIONS.decisionRollback, 'Roll back', value, 'danger'),
          button(ACTIONS.decisionNotRollback, 'Not a rollback', value),
        ];
  const rule =
    input.policy === 'two-person'
      ? 'Two-person rule: someone other than the requester approves'
      : `Policy ${input.policy}`;
  const head = `Decision needed on ${[input.incidentId, input.model].filter(Boolean).join(' ')}: `;
  return {
    text: escapeLine(`${head}${input.text}`, LIMITS.fallbackText),
    blocks: [
      section('decision_text', `❓ ${body}`),
      contextLine('decision_who', `${rule}. Who may decide: ${who}`),
      { type: 'actions', block_id: 'decision_actions', elements },
    ],
  };
}
