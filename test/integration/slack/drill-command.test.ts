/**
 * `/drill` text it does not understand gets a reply that names what was not understood, the likeliest fix, and
 * what is valid — as other replies do — and starts nothing. Real signed HTTP to the Slack route.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../../helpers/engine.js';
import { STAGING } from '../../helpers/drill-deps.js';
import { commandReply, serveSlackRoute, type SlackRoute } from '../../helpers/slack-route.js';

let deps: TestDeps;
let slack: SlackRoute;

beforeEach(async () => {
  // fraud-scorer has a drill; churn-predictor has none.
  deps = makeDeps({
    clock: new RealClock(),
    runbooks: [makeRunbook('fraud-scorer', STAGING), makeRunbook('churn-predictor')],
  });
  slack = await serveSlackRoute(deps);
});

afterEach(async () => {
  await slack.close();
});

const drill = (text: string) => commandReply(slack, '/drill', text, 'U0ANA');

/** What every reply to `/drill` text it does not understand lists: the valid forms. */
function listsTheValidForms(reply: string): void {
  expect(reply).toContain('`/drill list`');
  expect(reply).toContain('`/drill run &lt;model&gt;`');
}

it.each([
  ['foo', '`foo`', undefined],
  ['lsit', '`lsit`', '`/drill list`'],
  ['fraud-scorer', '`fraud-scorer`', '`/drill run fraud-scorer`'],
  ['fraud-scorr', '`fraud-scorr`', '`/drill run fraud-scorer`'],
  ['start fraud-scorer', '`start`', '`/drill run fraud-scorer`'],
  // Outside text: shown, never read by Slack as a mention of everyone here (a typed `<!here>`, as Slack sends it;
  // `@here`, which Slack sends as `<!here>`, is shown as `@here`).
  ['&lt;!here&gt;', '`&lt;!here&gt;`', undefined],
  ['<!here>', '`@here`', undefined],
])('answers `/drill %s` naming what it did not understand and what is valid', async (text, named, meant) => {
  const reply = await drill(text);

  expect(reply).toContain(named);
  if (meant) expect(reply).toContain(`Did you mean ${meant}?`);
  else expect(reply).not.toContain('Did you mean');
  listsTheValidForms(reply);
  expect(await deps.store.listIncidents({})).toEqual([]);
});

it('answers `/drill run` without a model with the models that have a drill', async () => {
  const reply = await drill('run');

  expect(reply).toContain('`/drill run` needs a model');
  expect(reply).toContain('Models with a drill: `fraud-scorer`');
  expect(reply).not.toContain('churn-predictor');
  listsTheValidForms(reply);
  expect(await deps.store.listIncidents({})).toEqual([]);
});

it('answers `/drill run` of an unknown model naming it and the likeliest model', async () => {
  const reply = await drill('run fraud-scorr');

  expect(reply).toContain('fraud-scorr');
  expect(reply).toContain('did you mean "fraud-scorer"');
  expect(await deps.store.listIncidents({})).toEqual([]);
});

it('takes `/drill RUN Fraud-Scorer` in any case, as the other commands do', async () => {
  const reply = await drill('RUN Fraud-Scorer');

  expect(reply).toMatch(/^Drill INC-\d+ started/);
  expect(await deps.store.listIncidents({})).toEqual([
    expect.objectContaining({ model: 'fraud-scorer', drill: true }),
  ]);
  expect(await drill('List')).not.toContain('unknown subcommand');
});
