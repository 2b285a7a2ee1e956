/**
 * The one rule for reading a variable rollbot or a runbook names: missing, empty or only blanks is unset. A
 * Kubernetes Secret or manifest gives `X=""` as easily as no X (a key left empty, `X=${X}` with X undefined), and
 * a user who set X to nothing means "not set": taken literally, an empty token would be sent as `Bearer ` and
 * refused at the first rollback (at 2am) instead of being pointed out when the bot starts. The value is trimmed:
 * a Secret made from a file keeps the file's trailing newline, which no token, key or URL means, and which Node
 * refuses in a header.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The value of `name` in `env` as rollbot uses it (trimmed), or undefined when it is unset (missing or blank). */
export function envValue(env: Environment, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** Whether `name` is unset in `env`: missing, empty or only blanks. */
export function isUnset(env: Environment, name: string): boolean {
  return envValue(env, name) === undefined;
}

/** How an unset variable is unset, for messages: `not set` (missing) or `empty` (set to nothing or blanks). */
export function unsetState(env: Environment, name: string): 'not set' | 'empty' {
  return env[name] === undefined ? 'not set' : 'empty';
}
