import type { InputBlock, KnownBlock, ModalView } from '@slack/types';
import { formatDuration } from '../../core/duration.js';
import { RollbotError } from '../../core/errors.js';
import type { RollbackPlan, ServingState } from '../../engine/serving-port.js';
import type { RollbackPolicy } from '../../runbooks/defaults.js';
import { INPUTS, VIEWS } from '../ids.js';
import { field, section } from './elements.js';
import { escapeLine, fitLines, inlineCode, LIMITS, truncate } from './limits.js';

export interface RollbackModalInput {
  model: string;
  incidentId?: string;
  plan: RollbackPlan;
  state: ServingState;
  /** Where, for people: `kserve ml-prod/fraud-scorer`. */
  target: string;
  policy: RollbackPolicy;
}

/** What the rollback modal carries to its view_submission handler. */
export interface RollbackModalMetadata {
  model: string;
  /** The incident it was opened on: the submission is refused once that is over (engine/acted-on.ts). */
  incidentId?: string;
  to: string;
  /** The version serving as planned: the submission is refused once another serves (engine/rollback-plan.ts). */
  from?: string;
}

/**
 * Longest reason a person can type: Slack's own maximum for a text input (messages show a shortened copy). A
 * pre-filled `initial_value` must not be longer, or Slack refuses the view.
 */
export const MAX_REASON_LENGTH = 3000;

const REGIME_TEXT: Record<RollbackPlan['regime'], string> = {
  'traffic-flip': 'Traffic flip (the old version is warm: seconds)',
  redeploy: 'Redeploy (the old version starts again: minutes)',
};

const POLICY_TEXT: Record<RollbackPolicy, string> = {
  auto: 'auto: rolls back when you submit',
  approve: 'approve: rolls back when you submit (submitting is the approval)',
  'two-person': 'two-person: a second approver must approve in the incident thread before anything changes',
};

/** The required, multi-line reason input that both modals share. */
export function reasonInput(label: string, placeholder: string): InputBlock {
  return {
    type: 'input',
    block_id: INPUTS.reason.block,
    label: { type: 'plain_text', text: truncate(label, LIMITS.inputLabel) },
    element: {
      type: 'plain_text_input',
      action_id: INPUTS.reason.action,
      multiline: true,
      max_length: MAX_REASON_LENGTH,
      placeholder: { type: 'plain_text', text: truncate(placeholder, LIMITS.placeholder) },
    },
  };
}

/**
 * The private_metadata JSON. Versions are not cut to fit: a cut version would roll back to the wrong thing,
 * so a plan whose names cannot be carried is refused (real version names are far below the 3000 limit).
 */
export function modalMetadata(metadata: object): string {
  const json = JSON.stringify(metadata);
  if (json.length > LIMITS.privateMetadata) {
    throw new RollbotError(
      'BAD_REQUEST',
      'a model, incident or version name is too long to carry in a Slack modal',
      {
        hint: 'use the CLI (`rollbot`) or the HTTP API for this one',
      },
    );
  }
  return json;
}

/** The current serving state: its summary, the traffic split, and a warning when an update is in flight. */
function stateText(state: ServingState): string {
  const head = `*Now serving*: ${escapeLine(state.summary, 1000) || '_no summary_'}`;
  const traffic = state.traffic.map((split) => `• ${inlineCode(split.version, 202)} ${split.percent}%`);
  const unsettled = state.settled ? [] : ['⚠️ an update is still in flight on the serving layer'];
  const lines = fitLines([...unsettled, ...traffic], {
    max: LIMITS.sectionText - head.length - 1,
    maxLines: 10,
    noun: 'versions',
  });
  return lines ? `${head}\n${lines}` : head;
}

/**
 * The rollback modal (`/rollback` or the Roll back button): what will happen (from → to, regime, ETA, target,
 * planned calls) before anything happens, a required reason and a dry-run box. Two-person policy turns the
 * submit button into "Request approval".
 */
export function rollbackModal(input: RollbackModalInput): ModalView {
  const { model, incidentId, plan, state, target, policy } = input;
  const metadata: RollbackModalMetadata = {
    model,
    ...(incidentId === undefined ? {} : { incidentId }),
    to: plan.to,
    ...(plan.from === undefined ? {} : { from: plan.from }),
  };
  const from = inlineCode(plan.from ?? state.current ?? 'current', 402);
  const incident = incidentId === undefined ? '' : ` (incident *${escapeLine(incidentId, 100)}*)`;
  const planned = fitLines(
    plan.actions.map((action) => `• ${escapeLine(action, 300)}`),
    { max: LIMITS.sectionText - 40, maxLines: 15, noun: 'actions' },
  );
  const blocks: KnownBlock[] = [
    section(
      'rollback_summary',
      `*${escapeLine(model, 200)}*${incident}: ${from} → ${inlineCode(plan.to, 402)}`,
    ),
    {
      type: 'section',
      block_id: 'rollback_facts',
      fields: [
        field('How', REGIME_TEXT[plan.regime]),
        field('Expected time', `~${formatDuration(plan.etaMs)}`),
        field('Serving target', escapeLine(target, 1000)),
        field('Policy', POLICY_TEXT[policy]),
      ],
    },
    section('rollback_state', stateText(state)),
    section(
      'rollback_actions',
      `*Planned actions*\n${planned || '_none: the serving layer already matches the plan_'}`,
    ),
    reasonInput('Reason', 'What is wrong with the current version? This goes on the incident timeline.'),
    {
      type: 'input',
      block_id: INPUTS.dryRun.block,
      optional: true,
      label: { type: 'plain_text', text: 'Dry run' },
      element: {
        type: 'checkboxes',
        action_id: INPUTS.dryRun.action,
        options: [
          { text: { type: 'plain_text', text: 'Dry run: plan only, change nothing' }, value: 'dry-run' },
        ],
      },
    },
  ];
  return {
    type: 'modal',
    callback_id: VIEWS.rollback,
    title: { type: 'plain_text', text: 'Roll back' },
    submit: { type: 'plain_text', text: policy === 'two-person' ? 'Request approval' : 'Roll back' },
    close: { type: 'plain_text', text: 'Cancel' },
    private_metadata: modalMetadata(metadata),
    blocks,
  };
}
