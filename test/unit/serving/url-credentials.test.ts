/**
 * A credential written into a serving URL (a password in `https://user:pass@…`, `?token=…`) is a secret in the
 * runbook, and the URL is shown in plans, the timeline and Slack: refused when the runbook loads, as a literal
 * credential header is. Written as {{env.NAME}} it is sent, and shown as ***.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServingState } from '../../../src/engine/serving-port.js';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { formatProblem } from '../../../src/runbooks/problems.js';
import { createServingFactory } from '../../../src/serving/index.js';

const runbook = (serving: string) =>
  `model: m\nowner: "@ml"\nchannel: C0TEST0001\ntier: 3\nserving: ${serving}\n`;

function problemsOf(serving: string): string[] {
  const result = parseRunbook(runbook(serving), 'm.yml');
  return result.ok ? [] : result.problems.map(formatProblem);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('a credential written in a serving URL', () => {
  it.each([
    [
      "{ adapter: http, rollback: { url: 'https://bot:hunter22@router.internal/rollback/{{to}}' } }",
      'serving.rollback.url',
    ],
    [
      "{ adapter: http, rollback: { url: 'https://router.internal/rollback?to={{to}}&token=hunter22' } }",
      'serving.rollback.url',
    ],
    [
      "{ adapter: http, rollback: { url: 'https://router.internal/rollback' }, status: { url: 'https://router.internal/s?api_key=hunter22', versionPath: v } }",
      'serving.status.url',
    ],
    [
      "{ adapter: mlflow, trackingUri: 'https://bot:hunter22@mlflow.internal', registeredModel: fraud }",
      'serving.trackingUri',
    ],
    [
      "{ adapter: mlflow, trackingUri: 'https://mlflow.internal/?access_token=hunter22', registeredModel: fraud }",
      'serving.trackingUri',
    ],
  ])('is refused when the runbook loads, naming the field: %s', (serving, field) => {
    const problems = problemsOf(serving);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`m.yml:5: ${field}: `);
    expect(problems[0]).toContain('secret written in the runbook');
    expect(problems[0]).not.toContain('hunter22');
  });

  it('is taken from the environment when written as {{env.NAME}}: sent, and shown masked in the plan', async () => {
    const serving =
      "{ adapter: http, env: [ROUTER_PASSWORD], rollback: { url: 'https://bot:{{env.ROUTER_PASSWORD}}@router.internal/rollback?to={{to}}&token={{env.ROUTER_PASSWORD}}' } }";
    const result = parseRunbook(runbook(serving), 'm.yml');
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    const adapter = createServingFactory({ env: { ROUTER_PASSWORD: 'hunter22' } })(result.runbook.serving, {
      model: 'm',
    });
    const state: ServingState = { traffic: [], rolloutInProgress: false, settled: true, summary: '' };
    const plan = await adapter.plan({ to: 'v2', state });
    expect(plan.actions.join('\n')).not.toContain('hunter22');
    const scope = nock('https://router.internal')
      .post('/rollback')
      .query({ to: 'v2', token: 'hunter22' })
      .basicAuth({ user: 'bot', pass: 'hunter22' })
      .reply(200, {});
    const done = await adapter.execute(plan, {
      idempotencyKey: 'INC-1:rollback:1',
      fence: 1,
      incidentId: 'INC-1',
      model: 'm',
      reason: 'r',
    });
    expect(scope.isDone()).toBe(true);
    expect(done.output).not.toContain('hunter22');
  });

  it('is not a credential when the value is a placeholder for an incident value, or the user alone', () => {
    expect(
      problemsOf(
        "{ adapter: http, rollback: { url: 'https://deploy@router.internal/rollback?key={{model}}&to={{to}}' } }",
      ),
    ).toEqual([]);
    expect(
      problemsOf(
        "{ adapter: mlflow, trackingUri: 'https://mlflow.internal/?keyspace=ml', registeredModel: f }",
      ),
    ).toEqual([]);
  });
});
