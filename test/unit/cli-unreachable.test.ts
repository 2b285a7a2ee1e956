import { describe, expect, it } from 'vitest';
import { whyUnreachable } from '../../src/cli/unreachable.js';

/** An error as Node's net and dns layers make them: a message and a code. */
const failure = (message: string, code: string) => Object.assign(new Error(message), { code });
/** What Node's fetch throws: "fetch failed", with the reason as its cause. */
const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

describe('whyUnreachable', () => {
  it("gives the cause's reason, however deep, instead of fetch's own message", () => {
    const refused = failure('connect ECONNREFUSED 10.0.0.7:8080', 'ECONNREFUSED');
    expect(whyUnreachable(fetchFailed(refused))).toBe('connect ECONNREFUSED 10.0.0.7:8080');
    const nested = new Error('socket hang up', { cause: failure('read ECONNRESET', 'ECONNRESET') });
    expect(whyUnreachable(fetchFailed(nested))).toBe('read ECONNRESET');
  });

  it('gives each address its reason when every address of a host failed (an AggregateError, with no message)', () => {
    const both = Object.assign(
      new AggregateError([
        failure('connect ECONNREFUSED ::1:8080', 'ECONNREFUSED'),
        failure('connect ETIMEDOUT 127.0.0.1:8080', 'ETIMEDOUT'),
      ]),
      { code: 'ECONNREFUSED' },
    );
    expect(whyUnreachable(fetchFailed(both))).toBe(
      'connect ECONNREFUSED ::1:8080; connect ETIMEDOUT 127.0.0.1:8080',
    );
  });

  it('names the code a message leaves out', () => {
    const timeout = failure('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT');
    expect(whyUnreachable(fetchFailed(timeout))).toBe('UND_ERR_CONNECT_TIMEOUT: Connect Timeout Error');
    const untrusted = failure('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(whyUnreachable(fetchFailed(untrusted))).toBe(
      'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
    );
    expect(whyUnreachable(fetchFailed(new Error('bad port')))).toBe('bad port');
  });

  it('stops at a cause that leads back to itself', () => {
    const looping = new Error('first');
    looping.cause = new Error('second', { cause: looping });
    expect(whyUnreachable(looping)).toBe('first');
  });
});
