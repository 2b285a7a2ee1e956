import fc from 'fast-check';
import { HTTPModuleFunctions } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SLACK_WINDOW_SECONDS } from '../../src/slack/verify.js';
import { slackSignature, SIGNING_SECRET } from '../helpers/slack.js';
import { expectNoServerError, fuzzOptions, fuzzTimeout } from './support/checks.js';
import {
  blockActions,
  encode,
  malformedCommand,
  malformedInteraction,
  namesSomethingReal,
  slashCommand,
  unrecognisedBody,
  viewSubmission,
  type SlackBody,
} from './support/slack-bodies.js';
import { startSlackFuzzServer, type SlackFuzzServer } from './support/slack-server.js';
import { expectUnchanged } from './support/world.js';

// Issue 8 §4 for /slack/events: a correctly signed request with a hostile body gets a 2xx or a 4xx, never a
// 5xx or a crash, and when it names nothing real (no open incident, no model) the bot's state is unchanged.
// A forged or stale request gets 401 and changes nothing, whatever it names.

let slack: SlackFuzzServer;
beforeAll(async () => {
  slack = await startSlackFuzzServer(inject('redisUrl'));
});
afterAll(() => slack?.close());

/**
 * Sends a batch at once to a fresh bot, waits for its listeners, checks that the state is as it was, and answers
 * with the responses. Batches, because Bolt leaves a request that no listener acknowledges unanswered for 2.5 s:
 * sent together, such requests wait once per run instead of once each.
 */
function checkBatch(batch: { body: SlackBody; headers?: Record<string, string | undefined> }[]) {
  // One run at a time (server.run): a run the time limit abandoned cannot write into this one's world.
  return slack.server.run(async (world) => {
    const before = await world.snapshot();
    const answers = await Promise.all(batch.map(({ body, headers }) => slack.post(body, headers)));
    await slack.settle();
    await expectUnchanged(world, before, 'a refused Slack request changed state');
    return answers;
  });
}

/** Batches of bodies that name no real incident or model, each sent with a valid signature. */
function refusable(body: fc.Arbitrary<SlackBody>, maxLength: number) {
  return fc.array(
    body.filter((one) => !namesSomethingReal(one)),
    { minLength: 1, maxLength },
  );
}

async function checkSigned(bodies: SlackBody[]): Promise<void> {
  (await checkBatch(bodies.map((body) => ({ body })))).forEach(expectNoServerError);
}

describe(
  '/slack/events, signed, with hostile content in a well-formed envelope',
  { timeout: fuzzTimeout(6_000) },
  () => {
    it('answers slash commands with hostile text and fields with 2xx/4xx, changing nothing', async () => {
      await fc.assert(
        fc.asyncProperty(refusable(slashCommand(slack.targets), 4), checkSigned),
        fuzzOptions(40, 4_000),
      );
    });

    it('answers button presses with hostile values with 2xx/4xx, changing nothing', async () => {
      await fc.assert(
        fc.asyncProperty(refusable(blockActions(slack.targets), 4), checkSigned),
        fuzzOptions(40, 4_000),
      );
    });

    it('answers modal submissions with garbage inputs and metadata with 2xx/4xx, changing nothing', async () => {
      await fc.assert(fc.asyncProperty(refusable(viewSubmission(), 4), checkSigned), fuzzOptions(40, 4_000));
    });
  },
);

describe('/slack/events, signed, with a broken envelope', { timeout: fuzzTimeout(6_000) }, () => {
  it('answers interactions and commands with missing or mistyped fields with 2xx/4xx, changing nothing', async () => {
    const broken = fc.oneof(malformedInteraction(slack.targets), malformedCommand(slack.targets));
    await fc.assert(fc.asyncProperty(refusable(broken, 8), checkSigned), fuzzOptions(30, 6_000));
  });

  it('answers bodies Bolt cannot route (random forms, random JSON) with 2xx/4xx, changing nothing', async () => {
    // Bolt leaves these unanswered until its 2.5 s timeout: few runs, large batches.
    await fc.assert(fc.asyncProperty(refusable(unrecognisedBody, 16), checkSigned), fuzzOptions(2, 6_000));
  });
});

/**
 * The least skew forged as stale: past the window by a margin (as in signed-requests.test.ts), since a stamp is
 * whole seconds and a future one draws nearer the window with each second between forging and checking (on a
 * busy machine 301 s once passed as 300 s).
 */
const STALE_SKEW = SLACK_WINDOW_SECONDS + 30;

describe('/slack/events with forged signatures or stale timestamps', { timeout: fuzzTimeout(6_000) }, () => {
  /** Headers that must not pass: each changes one thing about a correct signature. */
  const forgery = fc.oneof(
    fc
      .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 })
      .map((secret) => ({ kind: 'secret', secret })),
    fc.integer({ min: STALE_SKEW, max: 1e9 }).map((skew) => ({ kind: 'stale', skew: -skew })),
    fc.integer({ min: STALE_SKEW, max: 1e9 }).map((skew) => ({ kind: 'stale', skew })),
    fc.constantFrom('', 'abc', 'NaN', '1e999', '-0').map((stamp) => ({ kind: 'stamp', stamp })),
    fc
      .string({ unit: 'grapheme-ascii', maxLength: 80 })
      .map((signature) => ({ kind: 'signature', signature })),
    fc.constant({ kind: 'unsigned' }),
    fc.constant({ kind: 'tampered' }),
  );

  function forge(body: SlackBody, how: Record<string, unknown>): Record<string, string | undefined> {
    const { body: text } = encode(body);
    const stamp = Math.floor(Date.now() / 1000);
    switch (how.kind) {
      case 'secret':
        return { 'x-slack-signature': slackSignature(text, stamp, `${SIGNING_SECRET}${String(how.secret)}`) };
      case 'stale': {
        const at = stamp + Number(how.skew);
        return { 'x-slack-request-timestamp': String(at), 'x-slack-signature': slackSignature(text, at) };
      }
      case 'stamp':
        return { 'x-slack-request-timestamp': String(how.stamp) };
      case 'signature':
        return { 'x-slack-signature': String(how.signature) };
      case 'unsigned':
        return { 'x-slack-signature': undefined };
      default:
        // Signed over another body: the signature is right, for something else.
        return { 'x-slack-signature': slackSignature(`${text}&x=1`, stamp) };
    }
  }

  it('refuses them with 401 and changes nothing, even when they name the open incident', async () => {
    const anyBody = fc.oneof(
      slashCommand(slack.targets),
      blockActions(slack.targets),
      viewSubmission(),
      unrecognisedBody,
    );
    const attempt = fc.record({ body: anyBody, how: forgery });
    await fc.assert(
      fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 6 }), async (attempts) => {
        const answers = await checkBatch(
          attempts.map(({ body, how }) => ({ body, headers: forge(body, how) })),
        );
        // A body past the route's 4 MB limit (form-encoding makes a few huge fields that large) is refused unread.
        const expected = attempts.map(({ body }) =>
          Buffer.byteLength(encode(body).body) > HTTPModuleFunctions.defaultBodyLimit ? 413 : 401,
        );
        expect(answers.map((answer) => answer.status)).toEqual(expected);
      }),
      fuzzOptions(40, 4_000),
    );
  });
});
