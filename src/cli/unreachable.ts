/**
 * Why a request could not reach a server, or lost it while reading the answer, in the words of the layer that
 * failed. Node's fetch says only "fetch failed" (or "terminated" for a body cut off); the reason (ECONNREFUSED,
 * ENOTFOUND, ETIMEDOUT, a TLS error, the other side closing, …) is its cause, sometimes nested further, and an
 * AggregateError when each of a host's addresses (IPv6 and IPv4) failed on its own.
 */
export function whyUnreachable(error: unknown): string {
  return reasonOf(error, new Set());
}

function reasonOf(error: unknown, seen: Set<unknown>): string {
  if (seen.has(error)) return describe(error);
  seen.add(error);
  if (error instanceof AggregateError && error.errors.length > 0) {
    const reasons = error.errors.map((one: unknown) => reasonOf(one, seen));
    return [...new Set(reasons)].join('; ');
  }
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? describe(error) : reasonOf(cause, seen);
}

/**
 * The error's message with its code (ECONNREFUSED's messages name it already). OpenSSL's errors keep their
 * reason apart from a message full of library detail: the reason is what an operator can act on.
 */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  const text = typeof reason === 'string' && reason ? reason : (error.message.split('\n')[0] ?? '').trim();
  if (typeof code !== 'string' || text.includes(code)) return text || error.name;
  return text ? `${code}: ${text}` : code;
}
