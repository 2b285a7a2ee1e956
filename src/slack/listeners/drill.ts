import type { App } from '@slack/bolt';
import { closest } from '../../core/suggest.js';
import { drillListText } from '../../engine/drill-list.js';
import { startDrill } from '../../engine/drill-start.js';
import type { RunbookSet } from '../../engine/runbook-set.js';
import { drillListings } from '../../scheduling/drills.js';
import { namesLine, notUnderstood } from '../blocks/command-replies.js';
import { inlineCode } from '../blocks/limits.js';
import { actAs, failureReply, type SlackContext } from '../context.js';
import { plainText } from '../markup.js';
import { COMMANDS } from '../ids.js';

const SUBCOMMANDS = ['list', 'run'];

/** `/drill list` (schedules, next runs, last results) and `/drill run <model>` (a person decides, as for real). */
export function registerDrill(app: App, context: SlackContext): void {
  const { deps } = context;
  app.command(COMMANDS.drill, async ({ ack, command, respond }) => {
    await ack();
    try {
      // As typed (markup.ts), in any case as parse.ts takes the other commands: a model's name is lower case.
      const text = plainText(command.text);
      const [verb = 'list', model] = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
      if (verb === 'list') {
        await respond({ response_type: 'ephemeral', text: drillListText(await drillListings(deps)) });
        return;
      }
      if (verb !== 'run' || !model) {
        await respond({ response_type: 'ephemeral', text: notUnderstoodDrill(deps.runbooks, text) });
        return;
      }
      const incident = await actAs(context, command.user_id, model, (actor) =>
        startDrill(deps, model, { by: command.user_id, auto: false, actor }),
      );
      await respond({
        response_type: 'ephemeral',
        text: `Drill ${incident.id} started: decide in its message as you would for real.`,
      });
    } catch (error) {
      await respond({ response_type: 'ephemeral', text: failureReply(context, error, command.user_id) });
    }
  });
}

/**
 * The reply to `/drill` `text` that is neither `list` nor `run <model>`: what was not understood, the likeliest
 * `/drill` meant (a typo of a subcommand; a model without `run`, or after a word that is not a subcommand), and
 * what is valid, the models that have a drill included.
 */
function notUnderstoodDrill(runbooks: RunbookSet, text: string): string {
  const [verb = '', model] = text.trim().split(/\s+/);
  const drilled = runbooks.all.filter((runbook) => runbook.drill).map((runbook) => runbook.model);
  const reply = (problem: string, meant?: string) =>
    notUnderstood(COMMANDS.drill, problem, meant, namesLine('Models with a drill', drilled.sort()));
  if (verb === 'run') return reply(`\`${COMMANDS.drill} run\` needs a model`);
  // Worded as `/incident` and `/rollbot` word an unknown subcommand (parse.ts unknownSubcommand).
  const problem = `unknown subcommand ${inlineCode(verb, 102)}`;
  const modelLike = (word: string | undefined) =>
    word === undefined || runbooks.get(word) ? word : closest(word, runbooks.models());
  // `/drill fraud-scorer`: the model, without `run`.
  const named = modelLike(verb);
  if (named) return reply(problem, `${COMMANDS.drill} run ${named}`);
  const subcommand = closest(verb, SUBCOMMANDS);
  if (subcommand === 'list') return reply(problem, `${COMMANDS.drill} list`);
  // `/drill rnu fraud-scorer`, `/drill start fraud-scorer`: a model after a word that is not a subcommand.
  const after = modelLike(model);
  if (after || subcommand === 'run') return reply(problem, `${COMMANDS.drill} run ${after ?? '<model>'}`);
  return reply(problem);
}
