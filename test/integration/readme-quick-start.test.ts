/**
 * README.md's Quick start, run as a newcomer types it: the bot started as its `npm start` line says (the real
 * process, the example runbooks, no services), the curl's alert sent to it, and each `npm run rollbot -- …` line
 * run against it with the variables of the `export` line; then the two failures the text says a laptop gets.
 * The commands are read from the README, so an example that stops working fails here, not for the reader.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli.js';
import { startBotProcess, type BotProcess } from '../helpers/bot-process.js';
import { capture } from '../helpers/cli.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The `sh` blocks of the Quick start section, each as its commands: continuations joined, comments dropped. */
function quickStartBlocks(): string[][] {
  const section = README.split('\n## Quick start\n')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) =>
    (match[1] ?? '')
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== ''),
  );
}

/** `A=1 B=two` → {A: '1', B: 'two'}. */
function assignments(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** Splits a command line as a shell would for these examples: words, and "…" or '…' quoted ones. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

const blocks = quickStartBlocks();
let bot: BotProcess;

beforeAll(async () => {
  const start = blocks.flat().find((line) => line.endsWith(' npm start'));
  if (!start) throw new Error('README Quick start: no `… npm start` line with variables');
  bot = await startBotProcess(assignments(start.replace(/ npm start$/, '')));
}, 60_000);

afterAll(async () => {
  await bot?.kill();
});

describe("README.md's Quick start, as written", () => {
  it('opens an incident from the curl, then lists, notes, reports and resolves it with the CLI', async () => {
    const trial = blocks.find((block) => block.some((line) => line.startsWith('curl ')));
    expect(trial, 'a Quick start block with a curl').toBeDefined();
    let cliEnv: Record<string, string> = {};
    for (const line of trial ?? []) {
      const local = line.replaceAll('http://127.0.0.1:3000', bot.url).replaceAll('localhost:3000', bot.url);
      if (line.startsWith('curl ')) {
        const args = words(local);
        const body = args[args.indexOf('-d') + 1] ?? '';
        const url = args.find((word) => word.startsWith(bot.url)) ?? '';
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        expect(response.status, line).toBe(202);
        expect(await response.json()).toMatchObject({ opened: 1, results: [{ incidentId: 'INC-1' }] });
        // What the text after the block says the bot's terminal shows, before the reader types on.
        await vi.waitFor(() => expect(bot.output()).toContain('❓ DECISION NEEDED'), { timeout: 30_000 });
        expect(bot.output()).toContain('no metrics source (PROMETHEUS_URL is not set): a person decides');
      } else if (line.startsWith('export ')) {
        cliEnv = assignments(local);
      } else if (line.startsWith('npm run rollbot -- ')) {
        const { io, out, err } = capture();
        const code = await runCli(words(line.replace('npm run rollbot -- ', '')), cliEnv, io);
        expect(code, `${line}\n${out.join('\n')}\n${err.join('\n')}`).toBe(0);
      } else {
        throw new Error(`README Quick start: a line this test does not know how to run: ${line}`);
      }
    }
    const { io, out } = capture();
    expect(await runCli(['timeline', 'INC-1'], cliEnv, io)).toBe(0);
    expect(out.join('\n')).toContain('feature store stale since 01:40');
    expect(out.join('\n')).toContain('trying rollbot out');
  }, 120_000);

  it('refuses a rollback and a dismissal on a laptop with the reasons the text gives', async () => {
    const env = { ROLLBOT_URL: bot.url, API_TOKEN: assignments(blocks.flat().join(' '))['API_TOKEN'] ?? '' };
    const rollback = capture();
    const rollbackCode = await runCli(
      ['rollback', 'fraud-scorer', '--reason', 'trying', '--dry-run'],
      env,
      rollback.io,
    );
    expect(rollbackCode).toBe(1);
    expect(rollback.err.join('\n')).toContain('no Kubernetes credentials');
    expect(README).toContain('(`no Kubernetes credentials`;');

    // A second incident to dismiss: the first was resolved above.
    await fetch(`${bot.url}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'churn-predictor', severity: 'warning', summary: 'approval rate down' }),
    });
    const incidents = capture();
    expect(await runCli(['incidents', '--open'], env, incidents.io)).toBe(0);
    const id = /INC-\d+/.exec(incidents.out.join('\n'))?.[0] ?? 'none';
    const dismiss = capture();
    expect(await runCli(['dismiss', id, '--reason', 'trying', '--as', 'U0NEWCOMER'], env, dismiss.io)).toBe(
      1,
    );
    expect(dismiss.err.join('\n')).toContain('could not be checked');
  }, 120_000);
});
