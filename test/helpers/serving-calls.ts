/** What the serving adapters' tests share: a refusal as a ServingError, and nock kept strict. */
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { ServingError } from '../../src/core/errors.js';
import type { ExecuteContext, RollbackPlan } from '../../src/engine/serving-port.js';

/** The ServingError `promise` rejects with; the test fails if it resolves or rejects with anything else. */
export async function servingError(promise: Promise<unknown>): Promise<ServingError> {
  const error: unknown = await promise.then(
    () => expect.unreachable('expected a ServingError'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ServingError);
  return error as ServingError;
}

/**
 * Fails each test of the file on a request no interceptor expected (a mutating call in a plan or a dry run, a
 * second write) and, unless `allowPending`, on one expected and not made; no request reaches the network.
 */
export function failOnUnexpectedRequests(options: { allowPending?: boolean } = {}): void {
  const unmatched: string[] = [];
  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on('no match', (req: { method?: string; path?: string }) => {
      unmatched.push(`${req.method ?? '?'} ${req.path ?? '?'}`);
    });
  });
  beforeEach(() => {
    unmatched.length = 0;
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(unmatched).toStrictEqual([]);
    if (!options.allowPending) expect(pending).toStrictEqual([]);
  });
}

/** What the engine hands a serving layer's execute for INC-7's first rollback attempt. */
export const rollbackRun: ExecuteContext = {
  idempotencyKey: 'INC-7:rollback:1',
  fence: 4,
  incidentId: 'INC-7',
  model: 'fraud-scorer',
  reason: 'error rate up',
};

/** A traffic flip from v3 to v2, as the adapters without a plan of their own (http, command) execute it. */
export const flipV3ToV2: RollbackPlan = {
  from: 'v3',
  to: 'v2',
  regime: 'traffic-flip',
  etaMs: 1,
  actions: [],
  data: {},
};
