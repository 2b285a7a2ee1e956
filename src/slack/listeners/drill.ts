import type { App } from '@slack/bolt';
import { RollbotError } from '../../core/errors.js';
import { drillListText } from '../../engine/drill-list.js';
import { startDrill } from '../../engine/drill-start.js';
import { drillListings } from '../../scheduling/drills.js';
import { errorReply } from '../blocks/command-replies.js';
import { actAs, type SlackContext } from '../context.js';
import { COMMANDS } from '../ids.js';

const USAGE = 'usage: `/drill list` or `/drill run <model>`';

/** `/drill list` (schedules, next runs, last results) and `/drill run <model>` (a person decides, as for real). */
export function registerDrill(app: App, context: SlackContext): void {
  const { deps } = context;
  app.command(COMMANDS.drill, async ({ ack, command, respond }) => {
    await ack();
    try {
      const [verb = 'list', model] = command.text.trim().split(/\s+/).filter(Boolean);
      if (verb === 'list') {
        await respond({ response_type: 'ephemeral', text: drillListText(await drillListings(deps)) });
        return;
      }
      if (verb !== 'run' || !model) throw new RollbotError('BAD_REQUEST', USAGE);
      const incident = await actAs(context, command.user_id, model, (actor) =>
        startDrill(deps, model, { by: command.user_id, auto: false, actor }),
      );
      await respond({
        response_type: 'ephemeral',
        text: `Drill ${incident.id} started: decide in its message as you would for real.`,
      });
    } catch (error) {
      await respond({ response_type: 'ephemeral', text: errorReply(error) });
    }
  });
}
