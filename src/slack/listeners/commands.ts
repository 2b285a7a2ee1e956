import { mention } from '../blocks/thread.js';
import type { App } from '@slack/bolt';
import { isRollbotError, RollbotError } from '../../core/errors.js';
import { acknowledge, dismissAs } from '../../engine/decisions.js';
import { freezeDeployments, liftFreeze } from '../../engine/freeze.js';
import { declareIncident } from '../../engine/declare.js';
import { addNote } from '../../engine/notes.js';
import { resolve } from '../../engine/resolve.js';
import { incidentView, listIncidentViews } from '../../engine/views.js';
import {
  declaredReply,
  freezeReply,
  helpText,
  incidentList,
  incidentSummary,
} from '../blocks/command-replies.js';
import { authorizeUserOn, failureReply, linkableChannel, type SlackContext } from '../context.js';
import { COMMANDS } from '../ids.js';
import { plainText } from '../markup.js';
import { slackErrorText } from '../notifier/errors.js';
import { parseIncidentCommand, parseRollbackCommand, parseRollbotCommand } from '../parse.js';
import { openRollbackModal } from './rollback-flow.js';

/**
 * `/rollback`, `/incident` (list, open, show, ack, resolve, dismiss, note), `/rollbot` (help, deploy freezes): ack
 * first, then parse, call the engine, answer only to the caller. A command's text is read as the person typed it
 * (markup.ts plainText): Slack sends a typed `>` as `&gt;`, which a note or a reason must not keep.
 */
export function registerCommands(app: App, context: SlackContext): void {
  const { deps } = context;

  app.command(COMMANDS.rollback, async ({ ack, command, client, respond }) => {
    await ack();
    try {
      const parsed = parseRollbackCommand(plainText(command.text));
      deps.runbooks.require(parsed.model);
      try {
        await openRollbackModal(context, client, command.trigger_id, {
          ...parsed,
          channel: command.channel_id,
          responseUrl: command.response_url,
          user: command.user_id,
        });
      } catch (error) {
        // Its own failures are RollbotErrors; anything else is Slack not opening the form (a trigger that expired
        // after a slow moment, Slack unavailable): say so, and what to type, rather than "something went wrong".
        if (isRollbotError(error)) throw error;
        deps.logger.warn({ err: error, user: command.user_id }, 'a modal could not be opened');
        const again = `${COMMANDS.rollback} ${plainText(command.text).trim()}`;
        throw new RollbotError('UNAVAILABLE', `Slack did not open the form (${slackErrorText(error)})`, {
          hint: `run \`${again}\` again (or, without Slack, \`rollbot rollback ${parsed.model} --reason "…"\`)`,
        });
      }
    } catch (error) {
      await respond({ response_type: 'ephemeral', text: failureReply(context, error, command.user_id) });
    }
  });

  app.command(COMMANDS.incident, async ({ ack, command, respond }) => {
    await ack();
    try {
      const parsed = parseIncidentCommand(plainText(command.text));
      switch (parsed.verb) {
        case 'list':
          await respond({
            response_type: 'ephemeral',
            ...incidentList(await listIncidentViews(deps, { open: true })),
          });
          return;
        case 'show':
          await respond({
            response_type: 'ephemeral',
            ...incidentSummary(await incidentView(deps, parsed.id)),
          });
          return;
        case 'ack': {
          const { changed, incident } = await acknowledge(deps, parsed.id, command.user_id);
          const who = incident.acknowledged?.by;
          await respond({
            response_type: 'ephemeral',
            text: changed
              ? `You are on ${parsed.id}.`
              : `${parsed.id} was acknowledged already by ${mention(who ?? '?')}.`,
          });
          return;
        }
        case 'resolve':
          await authorizeUserOn(context, command.user_id, parsed.id, 'resolve');
          await resolve(deps, parsed.id, { by: command.user_id, reason: parsed.reason });
          await respond({
            response_type: 'ephemeral',
            text: `${parsed.id} resolved; the retrospective clock is running.`,
          });
          return;
        case 'dismiss': {
          // "Not a rollback" without the incident message's button (scrolled away, another channel).
          await dismissAs(deps, context.groupsOf, parsed.id, {
            userId: command.user_id,
            reason: parsed.reason,
            trigger: 'slack',
          });
          await respond({ response_type: 'ephemeral', text: `${parsed.id} dismissed: not a rollback.` });
          return;
        }
        case 'open': {
          const declared = await declareIncident(deps, { ...parsed, by: command.user_id });
          const channel = await linkableChannel(context, deps.runbooks.require(parsed.model).channel);
          await respond({ response_type: 'ephemeral', text: declaredReply(parsed.model, channel, declared) });
          return;
        }
        case 'note':
          // Anyone may: a note changes nothing (engine/notes.ts); the engine tells the channel.
          await addNote(deps, parsed.id, { by: command.user_id, text: parsed.text });
          await respond({ response_type: 'ephemeral', text: `Noted on the timeline of ${parsed.id}.` });
          return;
      }
    } catch (error) {
      await respond({ response_type: 'ephemeral', text: failureReply(context, error, command.user_id) });
    }
  });

  app.command(COMMANDS.rollbot, async ({ ack, command, respond }) => {
    await ack();
    try {
      const parsed = parseRollbotCommand(plainText(command.text));
      if (parsed.verb === 'help') {
        await respond({ response_type: 'ephemeral', text: helpText(deps.runbooks.models()) });
        return;
      }
      const userId = command.user_id;
      const outcome =
        parsed.verb === 'freeze'
          ? await freezeDeployments(deps, context.groupsOf, parsed.target, {
              userId,
              until: parsed.until,
              reason: parsed.reason,
            })
          : await liftFreeze(deps, context.groupsOf, parsed.target, {
              userId,
              ...(parsed.reason === undefined ? {} : { reason: parsed.reason }),
            });
      const channels = new Set(outcome.models.map((model) => deps.runbooks.get(model)?.channel)).size;
      await respond({ response_type: 'ephemeral', text: freezeReply(parsed.verb, outcome, channels) });
    } catch (error) {
      await respond({ response_type: 'ephemeral', text: failureReply(context, error, command.user_id) });
    }
  });
}
