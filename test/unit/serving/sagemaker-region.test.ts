/**
 * A region the AWS SDK refuses ("Region not accepted": not a hostname label) fails before anything is sent, like
 * a missing one: it is a setting to fix, not a network error to retry for the whole rollback target.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { formatProblem } from '../../../src/runbooks/problems.js';
import { createSagemakerAdapter } from '../../../src/serving/sagemaker/adapter.js';

const runbook = (serving: string) =>
  `model: m\nowner: "@ml"\nchannel: C0TEST0001\ntier: 3\nserving: ${serving}\n`;

describe('an AWS region the SDK refuses', () => {
  const set = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;
  const saved = set.map((name) => [name, process.env[name]] as const);
  beforeEach(() => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  });
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('is refused when the runbook loads, naming serving.region', () => {
    const result = parseRunbook(
      runbook('{ adapter: sagemaker, endpoint: fraud-prod, region: eu_west_1 }'),
      'm.yml',
    );
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      'm.yml:5: serving.region: "eu_west_1" is not an AWS region: write one like eu-west-1',
    ]);
  });

  it('from AWS_REGION fails at once, naming the variable, not as a network error that is retried', async () => {
    process.env.AWS_REGION = 'eu west 1';
    const adapter = createSagemakerAdapter(
      { adapter: 'sagemaker', endpoint: 'fraud-prod' },
      { model: 'fraud-scorer', timeoutMs: 5_000 },
    );
    const error = await adapter.state().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServingError);
    expect(error).toMatchObject({ transient: false });
    expect((error as ServingError).message).toBe(
      'SageMaker DescribeEndpoint fraud-prod: the AWS region "eu west 1" is not accepted by the AWS SDK',
    );
    expect((error as ServingError).hint).toMatch(/AWS_REGION/);
    expect((error as ServingError).hint).not.toMatch(/reachable/);
  });
});
