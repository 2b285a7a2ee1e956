import fc from 'fast-check';
import { ACTIONS, COMMANDS, INPUTS, VIEWS } from '../../../src/slack/ids.js';
import type { SlackPost } from '../../helpers/slack.js';
import { KNOWN_MODELS } from './alert-bodies.js';
import { applyMutations, hostileString, hostileValue, mutation } from './hostile-values.js';

// Two kinds of hostility. Content: what people type (command text, modal inputs) and what rides in button
// values and modal metadata, inside an envelope shaped as Slack always sends it. Envelope: the fields Slack
// guarantees (user, team, actions, view.state) missing or of the wrong type, which only a holder of the
// signing secret could send, and which Bolt reads before any rollbot code runs.

/**
 * A request body before encoding, so that fast-check prints counterexamples that can be read: a form (slash
 * commands), an interaction `payload` (sent as `payload=<json>`), or raw text with its content type.
 */
export type SlackBody =
  { form: Record<string, string> } | { payload: unknown } | { raw: string; contentType: string };

/** The body as Slack would put it on the wire. */
export function encode(body: SlackBody): SlackPost {
  const form = 'application/x-www-form-urlencoded';
  if ('form' in body) return { body: new URLSearchParams(body.form).toString(), contentType: form };
  if ('payload' in body) {
    return {
      body: new URLSearchParams({ payload: JSON.stringify(body.payload) }).toString(),
      contentType: form,
    };
  }
  return { body: body.raw, contentType: body.contentType };
}

/**
 * True when a body could name something real in the fuzzed bot: its open incident (INC-1, in any case) or a
 * model with a runbook. Bodies that do may legitimately change state (`/incident ack INC-1`), so the "refused
 * input changes nothing" properties only send bodies that do not.
 */
export function namesSomethingReal(body: SlackBody): boolean {
  const text = JSON.stringify(body);
  return /inc-1(?!\d)/i.test(text) || KNOWN_MODELS.some((model) => text.toLowerCase().includes(model));
}

/** Where Bolt's respond() posts: the Slack stand-in, never an address the fuzzer made up. */
export interface SlackTargets {
  responseUrl: string;
}

const slackIdOf = (prefix: string) => fc.stringMatching(new RegExp(`^${prefix}[A-Z0-9]{8}$`));
const user = fc.record({ id: slackIdOf('U'), username: hostileString, team_id: fc.constant('T0TEAM') });

/** A slash command's text: the verbs and arguments rollbot parses, mixed with hostile words. */
const commandText = fc
  .array(
    fc.oneof(
      {
        weight: 2,
        arbitrary: fc.constantFrom('list', 'show', 'ack', 'resolve', 'run', 'to', 'help', 'INC-999'),
      },
      { weight: 3, arbitrary: hostileString },
    ),
    { maxLength: 6 },
  )
  .map((words) => words.join(' '));

/** `/rollback`, `/incident`, `/rollbot`, `/drill` with hostile text and hostile values in every field. */
export function slashCommand(targets: SlackTargets): fc.Arbitrary<SlackBody> {
  return fc
    .record({
      command: fc.constantFrom(...Object.values(COMMANDS)),
      text: commandText,
      user_id: fc.oneof(slackIdOf('U'), hostileString),
      user_name: hostileString,
      team_id: fc.constant('T0TEAM'),
      channel_id: fc.oneof(slackIdOf('C'), hostileString),
      trigger_id: hostileString,
      api_app_id: fc.constant('A0APP'),
      response_url: fc.constant(targets.responseUrl),
    })
    .map((form) => ({ form }));
}

/** A button's `value`: JSON with hostile fields, JSON that is not an object, or not JSON at all. */
const buttonValue = fc.oneof(
  fc
    .record({ incidentId: hostileValue, model: hostileValue, itemId: hostileValue }, { requiredKeys: [] })
    .map((value) => JSON.stringify(value)),
  hostileValue.map((value) => JSON.stringify(value)),
  hostileString,
);

// `retro_close_item` is only ever a prefix: each action item's button is `retro_close_item:<item id>`.
const actionId = fc.constantFrom(
  ...Object.values(ACTIONS).filter((id) => id !== ACTIONS.closeActionItem),
  `${ACTIONS.closeActionItem}:A1`,
);

/** A press of one of rollbot's buttons, carrying a hostile value. */
export function blockActions(targets: SlackTargets): fc.Arbitrary<SlackBody> {
  return fc
    .record({
      user,
      channel: fc.record({ id: fc.oneof(slackIdOf('C'), hostileString) }),
      trigger_id: hostileString,
      action: fc.record({
        type: fc.constant('button'),
        action_id: actionId,
        block_id: hostileString,
        value: buttonValue,
        action_ts: fc.constant('1700000001.0'),
      }),
    })
    .map(({ action, ...rest }) => ({
      payload: {
        type: 'block_actions',
        team: { id: 'T0TEAM', domain: 'test' },
        api_app_id: 'A0APP',
        response_url: targets.responseUrl,
        container: { type: 'message', message_ts: '1700000000.000100', channel_id: rest.channel.id },
        ...rest,
        actions: [action],
      },
    }));
}

/** What a modal input holds when submitted: typed text (hostile), or nothing (null, or the block missing). */
const stateValues = fc
  .array(fc.tuple(fc.constantFrom(...Object.values(INPUTS)), fc.oneof(hostileString, fc.constant(null))), {
    maxLength: 6,
  })
  .map((entries) => {
    const values: Record<string, Record<string, unknown>> = {};
    for (const [input, value] of entries) {
      values[input.block] = { [input.action]: { type: 'plain_text_input', value } };
    }
    return values;
  });

/** A submission of one of rollbot's modals: hostile inputs and metadata. */
export function viewSubmission(): fc.Arbitrary<SlackBody> {
  const metadata = fc.oneof(
    fc
      .record(
        { model: hostileValue, incidentId: hostileValue, channel: hostileValue, to: hostileValue },
        { requiredKeys: [] },
      )
      .map((meta) => JSON.stringify(meta)),
    hostileString,
  );
  return fc
    .record({
      user,
      view: fc.record({
        id: hostileString,
        type: fc.constant('modal'),
        callback_id: fc.constantFrom(...Object.values(VIEWS)),
        private_metadata: metadata,
        state: fc.record({ values: stateValues }),
        hash: fc.constant('h1'),
      }),
    })
    .map((rest) => ({
      payload: {
        type: 'view_submission',
        team: { id: 'T0TEAM', domain: 'test' },
        api_app_id: 'A0APP',
        ...rest,
      },
    }));
}

/**
 * An interaction whose envelope is broken: a button press or modal submission with up to three fields
 * deleted, renamed or given a value of the wrong type (`user`, `team.id`, `actions`, `view.state`, …).
 */
export function malformedInteraction(targets: SlackTargets): fc.Arbitrary<SlackBody> {
  return fc
    .tuple(
      fc.oneof(blockActions(targets), viewSubmission()),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
    )
    .map(([body, changes]) => ({ payload: applyMutations((body as { payload: unknown }).payload, changes) }));
}

/** A slash command with a field Slack always sends missing, or a hostile workspace (`team_id`). */
export function malformedCommand(targets: SlackTargets): fc.Arbitrary<SlackBody> {
  const field = fc.constantFrom('team_id', 'user_id', 'text', 'channel_id', 'trigger_id');
  return fc
    .tuple(slashCommand(targets), field, fc.option(hostileString, { nil: undefined }))
    .map(([body, name, value]) => {
      const form = { ...(body as { form: Record<string, string> }).form };
      if (value === undefined) delete form[name];
      else form[name] = value;
      return { form };
    });
}

/**
 * Bodies Bolt may not route to a listener: commands, actions and views rollbot does not register, payloads of
 * unknown types, random forms, random JSON. None carries a `response_url`, which Bolt would post to.
 */
export const unrecognisedBody: fc.Arbitrary<SlackBody> = fc
  .oneof(
    fc.record({ command: hostileString, text: commandText }).map((form) => ({ form })),
    fc.dictionary(hostileString, hostileString, { maxKeys: 6 }).map((form) => ({ form })),
    hostileValue.map((value) => ({ raw: JSON.stringify(value), contentType: 'application/json' })),
    hostileValue.map((payload) => ({ payload })),
    fc.string({ unit: 'binary', maxLength: 200 }).map((raw) => ({ raw, contentType: 'application/json' })),
  )
  .filter((body) => !JSON.stringify(body).includes('response_url'));
