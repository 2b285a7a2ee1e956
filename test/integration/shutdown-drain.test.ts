/**
 * Shutdown's wait for rollbacks under way is bounded (ROLLBACK_DRAIN_MS), so that Slack messages and pages are
 * still flushed and Redis closed within Kubernetes' grace period. A rollback reached through an HTTP request
 * (`POST /api/rollbacks`) or a deadline handler (an automatic rollback after triage) must be held to that bound
 * too: were stop() to wait for the request or the handler first, a slow redeploy would keep it waiting until
 * the SIGKILL, and the flushes would never run.
 */
import { describe, expect, it } from 'vitest';
import type { RunningBot } from '../../src/main.js';
import { startBot } from '../../src/main.js';
import { eventually, runbookDir } from '../helpers/bot-process.js';
import { runbookYaml } from '../helpers/engine.js';
import { FakeMetrics } from '../helpers/fake-metrics.js';
import { FakeServing } from '../helpers/fake-serving.js';

const ERRORS = 'error_ratio{model="fraud-scorer"}';

/** A serving layer whose rollback never finishes executing until `release()`; `executing` once it started. */
function hangingServing() {
  const serving = new FakeServing();
  let release = () => {};
  const executing = new Promise<void>((started) => {
    serving.duringExecute = () => {
      started();
      return new Promise<void>((resolve) => (release = resolve));
    };
  });
  return { serving, executing, release: () => release() };
}

/**
 * Stops the bot, and only then lets the rollback finish executing: true when stop() came back with the rollback
 * still under way (traffic not moved yet). Without the bound, stop() would wait for it forever.
 */
async function stopsWhileRollbackRuns(bot: RunningBot, serving: FakeServing, release: () => void) {
  try {
    await bot.stop();
    return serving.mutations === 0;
  } finally {
    release();
  }
}

describe('SIGTERM with a rollback that outlasts the drain', () => {
  it('does not wait past the drain for an API rollback request', async () => {
    const dir = await runbookDir({ 'fraud-scorer.yml': runbookYaml('fraud-scorer') });
    const { serving, executing, release } = hangingServing();
    const env = { RUNBOOKS_DIR: dir, PORT: '0', LOG_LEVEL: 'silent', API_TOKEN: 'api-token-1' };
    const bot = await startBot(env, { serving: () => serving }, { rollbackDrainMs: 200 });
    const request = fetch(`${bot.url}/api/rollbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer api-token-1' },
      body: JSON.stringify({ model: 'fraud-scorer', reason: 'p99 doubled' }),
    }).catch((error: unknown) => error);
    await executing;
    expect(await stopsWhileRollbackRuns(bot, serving, release)).toBe(true);
    await request;
  });

  it('does not wait past the drain for a deadline handler running an automatic rollback', async () => {
    const runbook = runbookYaml(
      'fraud-scorer',
      `triage:
  checks:
    - { name: error rate, kind: error, query: '${ERRORS}', max: 0.02 }
rollback: { policy: auto }`,
    );
    const dir = await runbookDir({ 'fraud-scorer.yml': runbook });
    const { serving, executing, release } = hangingServing();
    const metricsSource = new FakeMetrics().set(ERRORS, 0.079);
    const env = { RUNBOOKS_DIR: dir, PORT: '0', LOG_LEVEL: 'silent', ALERT_WEBHOOK_TOKEN: 'alert-token-1' };
    const bot = await startBot(env, { serving: () => serving, metricsSource }, { rollbackDrainMs: 200 });
    const posted = await fetch(`${bot.url}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer alert-token-1' },
      body: JSON.stringify({ model: 'fraud-scorer', severity: 'critical', summary: 'errors' }),
    });
    expect(posted.status).toBe(202);
    // The poller's triage run rolls back on its own (policy auto) and the rollback hangs in execute.
    await eventually(
      async () => (serving.calls.includes('execute') ? true : undefined),
      15_000,
      'the rollback',
    );
    await executing;
    expect(await stopsWhileRollbackRuns(bot, serving, release)).toBe(true);
  });
});
