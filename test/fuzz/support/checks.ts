import fc from 'fast-check';
import { expect } from 'vitest';
import { ERROR_CODES } from '../../../src/core/errors.js';
import { API_AUTH } from '../../helpers/http.js';

/** A response read whole: the status and the body as text. */
export interface Answer {
  status: number;
  text: string;
}

/**
 * How long a request may take before the test calls it hung: a crashed handler, a lost response, an event loop
 * blocked by one request — all of which never answer. Bolt answers an unacknowledged request in 2.5 s; 5 s
 * (twice that) was once not enough on this two-core machine while the other test worker ran crash tests, so the
 * margin is wide: this detects hangs, it does not time anything.
 */
export const ANSWER_TIMEOUT_MS = 15_000;

/** `fetch`, failing with a clear message when nothing answers (a crashed handler leaves the socket open). */
export async function request(url: string, init: RequestInit): Promise<Answer> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${ANSWER_TIMEOUT_MS} ms (hung, crashed, or busy blocking the event loop)`
        : error;
    throw new Error(`${init.method ?? 'GET'} ${url} got no HTTP answer: ${String(cause)}`, { cause: error });
  }
}

/** 2xx or 4xx: the request was taken or refused, never failed by the server. */
export function expectNoServerError(answer: Answer): void {
  const what = `status ${answer.status}, body ${answer.text.slice(0, 500)}`;
  expect(answer.status, what).toBeGreaterThanOrEqual(200);
  expect(answer.status, what).toBeLessThan(500);
}

/** A refusal in the bot's error shape: `{error: {code, message}}`, the message saying what is wrong. */
export function expectReasonedRefusal(answer: Answer): void {
  const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
  expect(ERROR_CODES).toContain(body.error?.code);
  expect(typeof body.error?.message).toBe('string');
  expect(String(body.error?.message).trim()).not.toBe('');
}

/**
 * What accepted input stored must read back whole: the incident list answers 200 and every incident has one
 * of the four severities (an alert must not be able to write a severity the rest of the bot cannot handle).
 */
export async function expectReadableIncidents(url: string): Promise<void> {
  const answer = await request(`${url}/api/incidents`, { method: 'GET', headers: API_AUTH });
  expect(answer.status, answer.text.slice(0, 300)).toBe(200);
  const { incidents } = JSON.parse(answer.text) as { incidents: { id: string; severity: unknown }[] };
  for (const incident of incidents) {
    expect(incident.severity, `severity of ${incident.id} as the API shows it`).toMatch(/^SEV-[1-4]$/);
  }
}

type TimeLimit<T> = NonNullable<fc.Parameters<T>['plugins']>[number];

/** FUZZ_RUNS: how many times the usual runs (and time) a longer fuzzing session gives each property. */
function scale(): number {
  const requested = Number(process.env.FUZZ_RUNS ?? '1');
  return Number.isFinite(requested) && requested > 0 ? requested : 1;
}

/**
 * Run settings for the properties: a fixed time budget per property (shrinking included) so the fuzz suite
 * stays inside a minute; a property cut short without a failure passes with the runs it made. To replay a
 * failure, set FUZZ_SEED and FUZZ_PATH as fast-check printed them and select that one test with `-t`;
 * FUZZ_RUNS=10 runs each property ten times as long.
 */
export function fuzzOptions<T>(numRuns: number, budgetMs: number): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: Math.max(1, Math.round(numRuns * scale())),
    // The plugin is typed for any property (Plugin<unknown>); it never looks at the generated values.
    plugins: [fc.interruptAfterTimeLimit(budgetMs * Math.max(scale(), 1)) as TimeLimit<T>],
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/**
 * A test timeout for properties of at most `budgetMs`: the budget (scaled by FUZZ_RUNS), the run in flight when
 * it ends (a request may take ANSWER_TIMEOUT_MS), and set-up.
 */
export function fuzzTimeout(budgetMs: number): number {
  return budgetMs * Math.max(scale(), 1) + ANSWER_TIMEOUT_MS + 10_000;
}
