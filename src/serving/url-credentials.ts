/**
 * Credentials written into a serving URL: a password in its user info (`https://bot:pass@router`) or a query
 * parameter that carries one (`?token=…`). Such a URL is a secret in the runbook file, and the URL is shown in
 * plans, on the timeline (the compliance record) and in Slack, where nothing masks it. Refused when the runbook
 * loads, as a literal credential header is (http/config.ts); a value taken from `{{env.NAME}}` is masked.
 */

/** Query parameters that carry a credential, as routers, proxies and webhooks take them. */
const CREDENTIAL_PARAMETER =
  /^(access_token|id_token|token|api[-_]?key|apikey|key|auth|sig|signature|password|passwd|secret|client_secret|credentials?)$/i;

/** A part written in the runbook itself: no placeholder fills it (`{{env.NAME}}`, or an incident value). */
const literal = (text: string): boolean => text !== '' && !text.includes('{{');

/**
 * Where `url` (a runbook's URL, or a URL template) carries a literal credential: `the password in its user info`,
 * `its query parameter token`. Empty when it carries none. The value itself is never quoted.
 */
export function urlCredentials(url: string): string[] {
  const found: string[] = [];
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const at = authority.lastIndexOf('@');
  if (at !== -1) {
    const userInfo = authority.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon !== -1 && literal(userInfo.slice(colon + 1))) found.push('the password in its user info');
  }
  const query = /\?([^#]*)/.exec(url)?.[1] ?? '';
  for (const pair of query.split('&')) {
    const [name = '', value = ''] = pair.split('=', 2);
    if (CREDENTIAL_PARAMETER.test(name) && literal(value)) found.push(`its query parameter ${name}`);
  }
  return found;
}
