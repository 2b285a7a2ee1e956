import { RollbotError } from '../core/errors.js';

/**
 * `path` (`/api/incidents?open=true`) under ROLLBOT_URL, keeping the base's own path: a bot behind a reverse proxy
 * at `https://ops.example.com/rollbot` (with or without the trailing slash) is reached at `/rollbot/api/…`, where
 * `new URL('/api/…', base)` would replace the prefix.
 */
export function apiUrl(baseUrl: string, path: string): URL {
  const base = new URL(baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return new URL(path.replace(/^\/+/, ''), base);
}

/** What an operator can try by hand to see whether the bot answers at ROLLBOT_URL, prefix included. */
export function healthCheck(baseUrl: string): string {
  return `GET ${apiUrl(baseUrl, '/healthz').href} answers {"ok":true}`;
}

/**
 * Refuses a ROLLBOT_URL with a user or password in it (`https://ops:secret@host`, for a proxy's basic auth): fetch
 * cannot send it, and every message naming ROLLBOT_URL (the unreachable bot, the health check) would print the
 * password into a terminal or a CI log. The CLI authenticates with API_TOKEN instead.
 */
export function refuseCredentials(baseUrl: string): void {
  const url = new URL(baseUrl);
  if (!url.username && !url.password) return;
  const what = url.password ? 'a user and password' : 'a user name';
  if (url.password) url.password = '***';
  const masked = url.href;
  url.username = '';
  url.password = '';
  throw new RollbotError(
    'INVALID_CONFIG',
    `ROLLBOT_URL has ${what} in it (${masked.replace(/\/$/, '')}), which the CLI does not send`,
    {
      hint: `set ROLLBOT_URL to ${url.href.replace(/\/$/, '')}, and API_TOKEN to the bot's API_TOKEN: the CLI sends that as its bearer token`,
    },
  );
}
