import fc from 'fast-check';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { appOn } from '../helpers/http.js';
import {
  expectNoServerError,
  expectReasonedRefusal,
  fuzzOptions,
  fuzzTimeout,
  request,
} from './support/checks.js';
import { hostileString } from './support/hostile-values.js';
import { expectUnchanged, startFuzzServer, type FuzzServer } from './support/world.js';

// The alert routes share a router with the API: a path the router cannot decode must be refused like any other
// bad request, and change nothing. Only paths are fuzzed here, not the API's bodies.

let server: FuzzServer;
beforeAll(async () => {
  server = await startFuzzServer(inject('redisUrl'), ({ deps }) => appOn(deps));
});
afterAll(() => server?.close());

/** Every byte percent-encoded: any string goes on the wire as written, lone surrogates included. */
const percentEncoded = (text: string) =>
  [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

/** A path parameter: encoded text, or percent signs that do not decode (`%`, `%zz`, half a UTF-8 sequence). */
const parameter = fc.oneof(
  hostileString.filter((text) => text.length < 200).map(percentEncoded),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', 'INC-1%'),
  fc.stringMatching(/^[A-Za-z0-9%._~-]{1,20}$/),
);

const ROUTES = [
  '/api/incidents/:p',
  '/api/incidents/:p/resolve',
  '/api/gate/:p',
  '/api/gate/:p/override',
  '/:p',
];

describe('routes with hostile path parameters', { timeout: fuzzTimeout(3_000) }, () => {
  it('answer 2xx or a reasoned 4xx, and a refusal stores nothing', async () => {
    const call = fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE'),
      route: fc.constantFrom(...ROUTES),
      parameter,
    });
    await fc.assert(
      fc.asyncProperty(call, ({ method, route, parameter: value }) =>
        // One run at a time (server.run): a run the time limit abandoned cannot write into this one's world.
        server.run(async (world) => {
          const before = await world.snapshot();
          const answer = await request(`${server.url}${route.replace(':p', value)}`, {
            method,
            headers: { 'content-type': 'application/json', authorization: 'Bearer api-t' },
            ...(method === 'GET' ? {} : { body: JSON.stringify({ reason: 'fuzz', approvedBy: 'U0ANA' }) }),
          });
          expectNoServerError(answer);
          if (answer.status >= 400) {
            expectReasonedRefusal(answer);
            await expectUnchanged(world, before, `a ${answer.status} changed stored state`);
          }
        }),
      ),
      fuzzOptions(100, 3_000),
    );
  });

  // src/http/router.ts Router.match(): decodeURIComponent() of a parameter that does not decode throws a URIError,
  // which is not a RollbotError, so src/http/app.ts answers 500 "internal error".
  it('refuses a parameter that does not percent-decode with a reasoned 4xx, not 500', async () => {
    await server.fresh();
    const answer = await request(`${server.url}/api/incidents/%E0%A4%A`, { method: 'GET' });
    expectNoServerError(answer);
    expectReasonedRefusal(answer);
  });
});
