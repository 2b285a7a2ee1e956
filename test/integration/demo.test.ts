import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);

/** Runs `npm run demo`'s entry point as its own process, the way a newcomer runs it, without Slack tokens. */
function runDemo(
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', ...args], {
    cwd: ROOT,
    // Only PATH: no SLACK_* (the demo would post to Slack), no REDIS_URL or LOG_LEVEL from the shell.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('npm run demo', () => {
  it('takes one incident from alert to retrospective, rolling back v2 → v1, and exits 0', async () => {
    // LOG_LEVEL set to nothing (`LOG_LEVEL= npm run demo`, an unset shell variable) is unset, as everywhere.
    // REDIS_URL and PROMETHEUS_URL from the shell are ignored (README "What is simulated"), and said to be: the bot's
    // own log, at LOG_LEVEL=info, says "REDIS_URL is not set" of the environment the demo gives it.
    const { code, output } = await runDemo([], {
      LOG_LEVEL: '',
      REDIS_URL: 'redis://127.0.0.1:1',
      PROMETHEUS_URL: 'http://127.0.0.1:1',
    });

    expect(output, output).toContain('[demo as Alertmanager] ← 202: opened INC-1');
    // How to see it in Slack: both variables the bot needs (the token alone stops it at start).
    expect(output).toContain(
      'messages: this console (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN, for Slack)',
    );
    expect(output).toContain(
      'ignored here: REDIS_URL, PROMETHEUS_URL (the demo touches no real store, metrics or serving layer)',
    );
    // Triage failed on the simulated metrics and the auto policy rolled back to the ledger's known-good v1.
    expect(output).toMatch(/triage: .*error rate [\d.]+% outside ≤ 2%/);
    expect(output).toContain('[simulated serving] execute: shifting traffic v2 → v1');
    expect(output).toContain('rolled back to v1');
    // Confirmation from the simulated metrics, then resolution and the retrospective.
    expect(output).toMatch(/resolved by rollbot after .*confirmation passed 3 times in a row/);
    expect(output).toContain('retrospective: Blameless retrospective for INC-1 is open');
    expect(output).toMatch(
      /rollback: v2 → v1 on simulated kserve \(fraud-scorer\) \(traffic-flip\), succeeded/,
    );
    expect(output).toMatch(/retro\.opened/);
    // The timeline's + times count from the degradation's onset, the chapters' from the demo's start: said, since
    // "+ 6.0s triage.result" under a header at +21.2s otherwise reads as a clock that went back.
    expect(output).toContain(
      "Timeline of INC-1 (append-only; + from the degradation onset, the alert's startsAt;",
    );
    expect(output).toContain('Done in');
    // The bot's own logs stay out of the walkthrough: none at info level (the default), as without LOG_LEVEL.
    expect(output).not.toContain('"level":30');
    expect(code, output).toBe(0);
  }, 120_000);

  it('refuses an unknown option with the usage and a non-zero exit', async () => {
    const { code, output } = await runDemo(['--chanel', 'C0123']);
    expect(output).toContain('usage: npm run demo');
    expect(code).toBe(2);
  });

  it('refuses a --channel that is no channel, naming the option and what to write, before starting the bot', async () => {
    const { code, output } = await runDemo(['--channel', 'rollbot demo']);
    expect(output).toContain('--channel "rollbot demo"');
    expect(output).toContain('expected a channel ID like C0FRAUD01 or a name like #ml-alerts');
    expect(output).toContain('usage: npm run demo');
    // Not the loader's advice about a runbook file the user never wrote (a temporary copy, gone by now).
    expect(output).not.toContain('rollbot validate');
    expect(output).not.toContain('Start rollbot');
    expect(code).toBe(2);
  });

  it('refuses an empty --channel (an unset shell variable) rather than posting to the default channel', async () => {
    const { code, output } = await runDemo(['--channel', '']);
    expect(output).toContain('--channel is empty');
    expect(output).toContain('usage: npm run demo');
    expect(code).toBe(2);
  });
});
