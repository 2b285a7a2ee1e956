import { SIGNING_SECRET } from '../../helpers/slack.js';
import { startBotProcess, type BotProcess } from '../../helpers/bot-process.js';
import { ALERT_TOKEN, API_TOKEN } from './api.js';

/** What every bot of these tests is started with, besides its own extras. */
export function botEnv(options: {
  redisUrl: string;
  runbooksDir: string;
  /** SLACK_API_URL of a Slack stand-in; without it the bot uses the console notifier. */
  slackApiUrl?: string;
  prometheusUrl?: string;
}): Record<string, string> {
  return {
    REDIS_URL: options.redisUrl,
    RUNBOOKS_DIR: options.runbooksDir,
    ALERT_WEBHOOK_TOKEN: ALERT_TOKEN,
    API_TOKEN,
    ...(options.slackApiUrl
      ? {
          SLACK_BOT_TOKEN: 'xoxb-e2e',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: options.slackApiUrl,
        }
      : {}),
    ...(options.prometheusUrl ? { PROMETHEUS_URL: options.prometheusUrl } : {}),
  };
}

/**
 * Every bot process a test file started, so that afterAll can stop them all even when a test failed half-way
 * (including the ones a test killed and restarted).
 */
export class BotFleet {
  private readonly started: BotProcess[] = [];

  /** Starts one bot and keeps it for `stopAll`. */
  async start(env: Record<string, string>): Promise<BotProcess> {
    const bot = await startBotProcess(env);
    this.started.push(bot);
    return bot;
  }

  /**
   * Starts one bot per env, one after the other: side by side they compete for the CPU while compiling, and a
   * busy machine then misses startBotProcess's readiness limit.
   */
  async startEach(envs: Record<string, string>[]): Promise<BotProcess[]> {
    const bots: BotProcess[] = [];
    for (const env of envs) bots.push(await this.start(env));
    return bots;
  }

  /** SIGKILLs every bot still running: nothing of theirs is needed after the test. */
  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((bot) => bot.kill('SIGKILL')));
  }
}
