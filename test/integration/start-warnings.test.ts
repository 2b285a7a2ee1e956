/**
 * What a bot says when it starts without what its runbooks need: a runbook's checks with no Prometheus to measure
 * them means a person decides every incident, which the operator should learn at start, not at 2am.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBotProcess, type BotProcess } from '../helpers/bot-process.js';

let bot: BotProcess | undefined;
afterEach(async () => {
  await bot?.kill();
  bot = undefined;
});

const WARNING = 'PROMETHEUS_URL is not set';

describe('a bot starting', () => {
  it('warns that triage and confirmation cannot measure when runbooks have checks and PROMETHEUS_URL is not set', async () => {
    bot = await startBotProcess({ ALERT_WEBHOOK_TOKEN: 'tok' });
    expect(bot.output()).toContain(
      `${WARNING}: the runbooks' triage and confirmation checks cannot be measured, so a person decides every incident and resolves it by hand`,
    );
  });

  it('says nothing of it with PROMETHEUS_URL set', async () => {
    bot = await startBotProcess({ ALERT_WEBHOOK_TOKEN: 'tok', PROMETHEUS_URL: 'http://127.0.0.1:9/' });
    expect(bot.output()).not.toContain(WARNING);
  });
});
