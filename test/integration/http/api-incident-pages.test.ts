/**
 * `GET /api/incidents` answered at most 1,000 incidents, the newest, with no way to ask for the ones before: a script
 * auditing the record could not reach the rest. Each answer now names the next page (`next`, absent on the last),
 * which starts after the page's last incident (`before=<id>`): walked to the end, every incident comes once, newest
 * first, on either store.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Incident } from '../../../src/core/incident.js';
import type { Store } from '../../../src/engine/ports.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { createRedisStore } from '../../../src/store/redis/store.js';
import { makeDeps, TestClock } from '../../helpers/engine.js';
import { apiFetch, json, serveApp } from '../../helpers/http.js';
import { dismiss, makeIncident, T0 } from '../../helpers/incidents.js';

let server: Awaited<ReturnType<typeof serveApp>> | undefined;
let store: Store | undefined;
afterEach(async () => {
  await server?.close();
  await store?.close();
  server = undefined;
  store = undefined;
});

const STORES = {
  memory: (clock: TestClock): Store => createMemoryStore({ clock }),
  redis: (): Store => createRedisStore({ redis: inject('redisUrl'), prefix: `test:${randomUUID()}:` }),
};

/**
 * 23 incidents INC-1 … INC-23, two a millisecond (the second of each pair listed first: INC-10 before INC-9 is
 * byte-wise, as both stores break ties), fraud-scorer's and churn-predictor's in turn, all over but the last two.
 * Served on `kind`; answers the ids newest first.
 */
async function serveHistory(kind: keyof typeof STORES): Promise<{ url: string; newestFirst: Incident[] }> {
  const clock = new TestClock();
  store = STORES[kind](clock);
  const made: Incident[] = [];
  for (let n = 1; n <= 23; n += 1) {
    const model = n % 2 === 0 ? 'fraud-scorer' : 'churn-predictor';
    const incident = makeIncident({ id: `INC-${n}`, model, at: T0 + Math.floor(n / 2) * 1_000 });
    expect((await store.createIfNoneOpen(incident)).created).toBe(true);
    if (n <= 21) expect(await store.updateIncident(dismiss(incident))).toBeDefined();
    made.push(incident);
  }
  server = await serveApp(makeDeps({ clock, store }));
  const newestFirst = made.sort(
    (a, b) => b.openedAt - a.openedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  return { url: server.url, newestFirst };
}

/** Walks from `first` by each answer's `next`, returning the ids listed and the pages' sizes. */
async function walk(url: string, first: string): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let path: string | undefined = first;
  while (path !== undefined && pages.length < 30) {
    const response = await apiFetch(`${url}${path}`);
    expect(response.status, path).toBe(200);
    const body = await json(response);
    ids.push(...body.incidents.map((incident: { id: string }) => incident.id));
    pages.push(body.incidents.length);
    path = body.next;
  }
  return { ids, pages };
}

describe.each(['memory', 'redis'] as const)('GET /api/incidents page by page on the %s store', (kind) => {
  it('walks every incident once, newest first, by next, which the last page leaves out', async () => {
    const { url, newestFirst } = await serveHistory(kind);
    const walked = await walk(url, '/api/incidents?limit=5');
    expect(walked.ids).toEqual(newestFirst.map((incident) => incident.id));
    expect(walked.pages).toEqual([5, 5, 5, 5, 3]);
  });

  it('keeps the filters and the limit in next, and ends on a full last page without an empty one', async () => {
    const { url, newestFirst } = await serveHistory(kind);
    const first = await json(apiFetch(`${url}/api/incidents?model=fraud-scorer&open=false&limit=5`));
    expect(first.next).toBe(
      `/api/incidents?model=fraud-scorer&open=false&limit=5&before=${first.incidents[4].id}`,
    );
    const walked = await walk(url, '/api/incidents?model=fraud-scorer&open=false&limit=5');
    const closed = newestFirst.filter((i) => i.model === 'fraud-scorer' && Number(i.id.slice(4)) <= 21);
    expect(walked.ids).toEqual(closed.map((incident) => incident.id));
    // Ten closed incidents of fraud-scorer: two full pages, and the second says it is the last.
    expect(walked.pages).toEqual([5, 5]);
  });

  it('answers no next when everything fits, as before', async () => {
    const { url } = await serveHistory(kind);
    const body = await json(apiFetch(`${url}/api/incidents`));
    expect(body.incidents).toHaveLength(23);
    expect(body).not.toHaveProperty('next');
  });

  it('takes before in any case, as an incident id is taken everywhere', async () => {
    const { url, newestFirst } = await serveHistory(kind);
    const body = await json(apiFetch(`${url}/api/incidents?limit=2&before=inc-20`));
    const after = newestFirst.findIndex((incident) => incident.id === 'INC-20') + 1;
    expect(body.incidents.map((i: { id: string }) => i.id)).toEqual(
      newestFirst.slice(after, after + 2).map((incident) => incident.id),
    );
    expect(body.next).toBe(`/api/incidents?limit=2&before=${newestFirst[after + 1]?.id}`);
  });
});

describe('GET /api/incidents with a bad before', () => {
  const FILTERS_HINT =
    'filter with open=true|false, model=<model> and limit=1..1000; page with before=<id> (the next an answer names)';
  const UNKNOWN_HINT =
    'give the id of the last incident of the page before (the API\'s next or the CLI\'s "next page" line names it), or leave before out for the newest';
  const unknown = (given: string) =>
    `before must be the id of an incident, like INC-42, got "${given}": no incident has that id`;

  it.each([
    [
      'before=',
      "before is empty: give the id of the last incident of the page before (an answer's next names it), or leave before out for the newest",
      FILTERS_HINT,
    ],
    ['before=-5', unknown('-5'), UNKNOWN_HINT],
    ['before=2026-11-22T02:00:00Z', unknown('2026-11-22T02:00:00Z'), UNKNOWN_HINT],
    ['before=INC-99', unknown('INC-99'), UNKNOWN_HINT],
    ['before=INC-2&before=INC-3', 'before is given 2 times ("INC-2", "INC-3"): give it once', FILTERS_HINT],
  ])('refuses %s with 400 naming before and its form', async (query, message, hint) => {
    await serveHistory('memory');
    const response = await apiFetch(`${server?.url}/api/incidents?${query}`);
    expect(response.status).toBe(400);
    expect((await json(response)).error).toEqual({ code: 'BAD_REQUEST', message, hint });
  });
});
