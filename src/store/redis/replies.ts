/**
 * Narrowing of Redis replies. Scripts return `unknown` to TypeScript; a reply of the wrong shape means the
 * script and the code disagree, which is a bug worth failing loudly on rather than casting past.
 */

/** An integer reply. */
export function integerReply(reply: unknown, what: string): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  throw new Error(`unexpected Redis reply for ${what}: ${JSON.stringify(reply)}`);
}

/** An integer reply, or nil (`undefined`). */
export function optionalIntegerReply(reply: unknown, what: string): number | undefined {
  return reply === null ? undefined : integerReply(reply, what);
}

/** An array of bulk strings. */
export function stringsReply(reply: unknown, what: string): string[] {
  if (Array.isArray(reply) && reply.every((item) => typeof item === 'string')) return reply;
  throw new Error(`unexpected Redis reply for ${what}: ${JSON.stringify(reply)}`);
}

/** A `{status, id}` pair as returned by CREATE_INCIDENT_IF_NONE_OPEN. */
export function statusAndIdReply(reply: unknown, what: string): { status: number; id: string } {
  if (Array.isArray(reply) && reply.length === 2) {
    const [status, id] = reply as unknown[];
    if (typeof status === 'number' && typeof id === 'string') return { status, id };
  }
  throw new Error(`unexpected Redis reply for ${what}: ${JSON.stringify(reply)}`);
}

/** Fails when any command of a MULTI failed (ioredis reports them per command rather than throwing). */
export function checkExec(results: [Error | null, unknown][] | null, what: string): void {
  if (results === null) throw new Error(`Redis transaction for ${what} was aborted`);
  for (const [error] of results) if (error) throw error;
}
