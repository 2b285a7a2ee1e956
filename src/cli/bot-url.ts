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
