import { WebClient } from '@slack/web-api';

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
  return {
    notifier: new WebClient(token, {
      slackApiUrl: apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      // A hung connection would hold its channel's queue; the queue retries after a timeout.
      timeout: 15_000,
    }),
    interactive: new WebClient(token, { slackApiUrl: apiUrl, retryConfig: { retries: 1 }, timeout: 2_500 }),
  };
}
