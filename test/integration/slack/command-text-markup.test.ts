/**
 * A slash command's text arrives as Slack writes message text: `&`, `<` and `>` typed by a person as `&amp;`,
 * `&lt;` and `&gt;`, a mention or `@here` as markup (`<@U0BO>`, `<!here>`). What rollbot keeps of it (a note, a
 * reason, a model) is what the person typed and read, as a 📌'd message's text is (pins.ts): not `p99 &gt; 2s` on
 * the timeline, the CLI and the API, and not `&amp;gt;` once the channel message escapes it again. Real signed
 * HTTP to the Slack route, the text as Slack sends it.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { sendSigned, slashCommand } from '../../helpers/slack.js';
import { commandReply, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  deps = makeDeps({
    clock: new RealClock(),
    runbooks: [makeRunbook('fraud-scorer', 'rollback: { policy: approve, approvers: [U0ANA] }')],
  });
  await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now())]);
  slack = await serveSlackRoute(deps);
});

afterEach(async () => {
  await slack.close();
});

const incident = (text: string) => commandReply(slack, '/incident', text, 'U0ANA');

it('keeps a note as typed: `p99 > 2s & rising`, not the entities Slack sent it in', async () => {
  expect(await incident('note INC-1 p99 &gt; 2s &amp; rising, x &lt;= 3')).toBe(
    'Noted on the timeline of INC-1.',
  );

  expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
    type: 'note',
    text: 'p99 > 2s & rising, x <= 3',
  });
  expect(deps.notifier.ofType('incident.updated').at(-1)?.text).toBe(
    'note by U0ANA: p99 > 2s & rising, x <= 3',
  );
});

it('keeps a mention and @here as people read them, pinging nobody', async () => {
  await incident('note INC-1 asked <@U0BO> to look, told <!here>');

  expect((await deps.store.list('INC-1')).at(-1)).toMatchObject({
    type: 'note',
    text: 'asked @U0BO to look, told @here',
  });
});

it('keeps a dismissal reason as typed', async () => {
  expect(await incident('dismiss INC-1 upstream &amp; feature store &gt; 5 min late')).toBe(
    'INC-1 dismissed: not a rollback.',
  );

  const incidentNow = await deps.store.getIncident('INC-1');
  expect(incidentNow?.decision?.reason).toBe('upstream & feature store > 5 min late');
});

it('pre-fills the /rollback modal with the reason as typed', async () => {
  const sent = await sendSigned(
    slack.url,
    slashCommand('/rollback', 'fraud-scorer p99 &gt; 2s &amp; errors up', 'U0ANA'),
  );
  expect(sent.status).toBe(200);
  await slack.settle(() => slack.called('views.update').length > 0, 'the planned modal');

  const view = JSON.parse(slack.called('views.update')[0]?.form.view ?? '{}') as {
    blocks: { block_id?: string; element?: { initial_value?: string } }[];
  };
  const reason = view.blocks.find((block) => block.block_id === 'reason');
  expect(reason?.element?.initial_value).toBe('p99 > 2s & errors up');
});

it('shows a `<!here>` typed as a subcommand as typed, escaped, and `@here` as `@here`', async () => {
  const typed = await incident('&lt;!here&gt;');
  expect(typed).toContain('unknown subcommand `&lt;!here&gt;`');
  expect(typed).not.toContain('<!here>');

  const mention = await incident('<!here>');
  expect(mention).toContain('unknown subcommand `@here`');
  expect(mention).not.toContain('<!here>');
});
