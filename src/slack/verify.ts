import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Clock } from '../engine/ports.js';

/** Slack's replay window: a request stamped more than five minutes from now, either way, is refused. */
export const SLACK_WINDOW_SECONDS = 300;

/**
 * Refuses requests whose `X-Slack-Request-Timestamp` is missing or outside ±5 minutes of our clock, before
 * Bolt verifies the signature. Bolt refuses only stale timestamps, not future ones (slack-platform.md §1); a
 * captured request replayed with a clock skewed forward must not get through either.
 */
export function requireFreshTimestamp(listener: RequestListener, clock: Clock): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const stamp = Number(req.headers['x-slack-request-timestamp']);
    const skew = Math.abs(clock.now() / 1000 - stamp);
    if (!Number.isFinite(stamp) || skew > SLACK_WINDOW_SECONDS) {
      req.resume();
      const message = Number.isFinite(stamp)
        ? `request timestamp is ${Math.round(skew)} s from now; Slack requests must be within ${SLACK_WINDOW_SECONDS} s`
        : 'missing X-Slack-Request-Timestamp: this route takes only signed requests from Slack';
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 'UNAUTHORIZED', message, hint: 'check the server clock (NTP) or the sender' },
        }),
      );
      return;
    }
    listener(req, res);
  };
}
