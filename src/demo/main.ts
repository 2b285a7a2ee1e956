/**
 * `npm run demo` — one incident through the whole runbook on embedded defaults (no services needed):
 * see README.md "See it work". `--channel <ID|#name>` picks the Slack channel when SLACK_BOT_TOKEN is set.
 */
import { parseArgs } from 'node:util';
import { isRollbotError } from '../core/errors.js';
import { channel } from '../runbooks/fields.js';

const USAGE = 'usage: npm run demo [-- --channel <C0123ABCD | #name>]';

/** What is real and what is not, printed while the bot's modules load (a few seconds). */
const INTRO = [
  'rollbot demo: one incident through the whole runbook, detect → triage → roll back → confirm → retro.',
  'Real: rollbot itself (startBot in src/main.ts: alert route, API, engine, deadline poller, store, notifier).',
  'Simulated, and labelled so: the serving layer and the metrics source. The demo plays CI and Alertmanager',
  'with real HTTP calls to the bot.',
];

async function main(): Promise<number> {
  let values: { channel?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: { channel: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const badChannel = values.channel === undefined ? undefined : channelProblem(values.channel);
  if (badChannel) {
    console.error(`${badChannel}\n${USAGE}`);
    return 2;
  }
  console.log(INTRO.join('\n'));
  // Loaded only now, so that --help and a mistyped option answer at once, before the whole bot is imported.
  const { runDemo } = await import('./walkthrough.js');
  const completed = await runDemo({
    env: process.env,
    out: process.stdout,
    ...(values.channel ? { channel: values.channel } : {}),
  });
  return completed ? 0 : 1;
}

/**
 * Why `--channel` cannot be used, if it cannot: checked here, by the runbook's own rule, because the demo writes
 * it into a temporary copy of its runbook, and the loader's error would name that file and say to fix it.
 * An empty one (an unset shell variable) is refused rather than dropped for the default channel.
 */
function channelProblem(value: string): string | undefined {
  if (value.trim() === '')
    return '--channel is empty: give a channel ID (C0123ABCD) or #name, or leave it out';
  const parsed = channel.safeParse(value);
  return parsed.success
    ? undefined
    : `--channel "${value}": ${parsed.error.issues[0]?.message ?? 'not a channel'}`;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything is stopped by now; a straggling handle (a Slack socket) must not keep the demo open.
    setTimeout(() => process.exit(code), 3_000).unref();
  },
  (error: unknown) => {
    if (isRollbotError(error)) {
      console.error(`demo failed: ${error.message}${error.hint ? `\nfix: ${error.hint}` : ''}`);
    } else {
      console.error('demo failed:', error);
    }
    process.exit(1);
  },
);
