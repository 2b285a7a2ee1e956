import { LogLevel, WebClient } from '@slack/web-api';

/**
 * The bot's two Slack clients. The notifier's rejects rate-limited calls and never retries (its queue does
 * both, per channel): with the defaults a 429 pauses the client's WHOLE request queue. The interactive one
 * (acks, views.open, ephemeral replies) is separate and short-fused, so an alert storm cannot starve modals
 * whose trigger_id expires in 3 s.
 */
export function createSlackClients(options: { token: string; apiUrl: string }): {
  notifier: WebClient;
  interactive: WebClient;
} {
  const { token, apiUrl } = options;
  // As the Bolt app's (slack/app.ts): the library's console logger would print every failed call as a plain-text
  // `[WARN]` line beside the JSON log, whatever LOG_LEVEL says (even `silent`). The callers log what failed, with
  // what it means for the message, through rollbot's logger.
  const logLevel = LogLevel.ERROR;
  return {
    notifier: new WebClient(token, {
      slackApiUrl: apiUrl,
      logLevel,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      // A hung connection would hold its channel's queue; the queue retries after a timeout.
      timeout: 15_000,
    }),
    interactive: new WebClient(token, {
      slackApiUrl: apiUrl,
      logLevel,
      retryConfig: { retries: 1 },
      timeout: 2_500,
    }),
  };
}
