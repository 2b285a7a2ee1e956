import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { closest } from '../../src/core/suggest.js';
import { makeDeps } from '../helpers/engine.js';
import { serveApp } from '../helpers/http.js';
import { expectReadableIncidents, expectReasonedRefusal, request } from './support/checks.js';
import { openWorld, type World } from './support/world.js';

// Minimal reproductions of what the alert-route fuzzing (alert-routes.test.ts) found, one test per finding,
// each naming the function that was at fault. All were fixed in c695fa9; they stay as regression tests.

// The words "did you mean …?" is asked about, and what it answered: how much suggesting an unknown key costs,
// counted rather than timed (a timed bound fails on a busy shared machine and proves nothing on a fast one).
const suggested = vi.hoisted(() => ({ words: [] as string[], answers: [] as (string | undefined)[] }));
vi.mock('../../src/core/suggest.js', async (importOriginal) => {
  const real = await importOriginal<{ closest: typeof closest }>();
  return {
    ...real,
    closest: (word: string, candidates: Iterable<string>) => {
      const answer = real.closest(word, candidates);
      suggested.words.push(word);
      suggested.answers.push(answer);
      return answer;
    },
  };
});
beforeEach(() => {
  suggested.words.length = 0;
  suggested.answers.length = 0;
});

const TOKEN = 't';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serveOnRedis(): Promise<{ world: World; url: string }> {
  const redis = new Redis(inject('redisUrl'));
  const world = await openWorld(redis);
  const server = await serveApp(world.deps, { alerts: { token: TOKEN, allowUnauthenticated: false } });
  // Closed in reverse: the server, then the world's keys, then the connection.
  closers.push(async () => void (await redis.quit()), world.close, server.close);
  return { world, url: server.url };
}

function postGeneric(url: string, body: unknown) {
  return request(`${url}/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
}

// src/core/severity.ts severityOf() looked `mapping.map[value]` up on a plain object, which finds
// Object.prototype's members: a severity label "constructor" gave a function, "__proto__" Object.prototype.
describe('an alert whose severity label names an Object.prototype member', () => {
  it.each(['constructor', '__proto__'])(
    'opens an incident with one of the four severities (label %j), on Redis',
    async (severity) => {
      const { world, url } = await serveOnRedis();
      const answer = await postGeneric(url, { model: 'churn-predictor', severity, summary: 'p99 doubled' });
      expect(answer.status).toBe(202);
      const [incident] = await world.deps.store.listIncidents({ model: 'churn-predictor' });
      // Before the fix: JSON dropped the function (severity undefined → "SEV-undefined") and stored the
      // prototype as {} ("SEV-[object Object]").
      expect([1, 2, 3, 4]).toContain(incident?.severity);
      await expectReadableIncidents(url);
    },
  );

  it('is not a 500 that leaves a triage deadline behind, on the memory store', async () => {
    // The default store without REDIS_URL: structuredClone refused the function (DataCloneError) after the
    // triage deadline was scheduled, so the request failed with 500 and the deadline stayed.
    const deps = makeDeps();
    const server = await serveApp(deps, { alerts: { token: TOKEN, allowUnauthenticated: false } });
    closers.push(() => server.close());
    const answer = await postGeneric(server.url, {
      model: 'churn-predictor',
      severity: 'constructor',
      summary: 's',
    });
    expect(answer.status, answer.text).toBe(202);
    const incidents = await deps.store.listIncidents({});
    const pending = await deps.store.pending();
    expect(
      pending.every((deadline) => incidents.some((incident) => deadline.id.startsWith(`${incident.id}:`))),
    ).toBe(true);
  });
});

// src/core/suggest.ts editDistance() allocates an (n+1)×(m+1) array of arrays for every candidate, and
// src/alerts/errors.ts describe() asked closest() for every unknown key before the problem list was capped: one
// authenticated request with a long key, or with many keys, kept the event loop busy for seconds (a 1 MB key
// took 19 s, 30,000 short keys 11 s), so Slack acks and other alerts waited behind it.
describe('an alert body with unknown keys', () => {
  const alert = { model: 'fraud-scorer', severity: 'critical', summary: 's' };

  it('is refused without a suggestion when one key is 100,000 characters long', async () => {
    const { url } = await serveOnRedis();
    const answer = await postGeneric(url, { ...alert, ['k'.repeat(100_000)]: 1 });
    expect(answer.status).toBe(400);
    expectReasonedRefusal(answer);
    // Comparing the key with each field took about two seconds; a word that long is no typo, and is not compared.
    expect(suggested.words.map((word) => word.length)).toEqual([100_000]);
    expect(suggested.answers).toEqual([undefined]);
    expect(closest('k'.repeat(101), ['k'.repeat(101)]), 'words over 100 characters are not compared').toBe(
      undefined,
    );
  });

  it('is refused after suggesting for at most 100 of them when it has 8,000', async () => {
    const { url } = await serveOnRedis();
    const keys = Object.fromEntries(Array.from({ length: 8_000 }, (_, i) => [`unknown-field-${i}`, 1]));
    const answer = await postGeneric(url, { ...alert, ...keys });
    expect(answer.status).toBe(400);
    expectReasonedRefusal(answer);
    // A suggestion for each of 30,000 keys took 11 s; only the problems the answer lists get one.
    expect(suggested.words.length).toBeGreaterThan(0);
    expect(suggested.words.length).toBeLessThanOrEqual(100);
  });

  it('gets an error that does not echo a long key back several times over', async () => {
    // errors.ts means to keep errors short ("must not turn into a megabyte-long error"), but an unknown key was
    // quoted whole in the path and the message, in both `message` and `details`: 4× the key.
    const { url } = await serveOnRedis();
    const answer = await postGeneric(url, { ...alert, ['k'.repeat(20_000)]: 1 });
    expect(answer.status).toBe(400);
    expect(answer.text.length, 'bytes of the 400 body').toBeLessThan(20_000);
  });
});
