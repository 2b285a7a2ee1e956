/**
 * One rule for a serving block's own values, as src/env.ts has for variables: a value written empty or as
 * blanks is as unset as a missing one. A required one is refused when the runbook loads, naming the field; an
 * optional one takes its default (alias `champion`, the SDK's region, no stable variant) instead of reaching the
 * layer as "" at the first rollback.
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { formatProblem } from '../../../src/runbooks/problems.js';
import type { ServingConfig } from '../../../src/runbooks/serving.js';
import { createServingFactory, servingCredentialProblems } from '../../../src/serving/index.js';

const runbook = (serving: string) =>
  `model: m\nowner: "@ml"\nchannel: C0TEST0001\ntier: 3\nserving: ${serving}\n`;

function servingOf(serving: string): ServingConfig {
  const result = parseRunbook(runbook(serving), 'm.yml');
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.runbook.serving;
}

function problemsOf(serving: string): string[] {
  const result = parseRunbook(runbook(serving), 'm.yml');
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('a serving value written empty or as blanks', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  it.each([
    ["{ adapter: sagemaker, endpoint: '' }", 'serving.endpoint'],
    ["{ adapter: sagemaker, endpoint: '   ' }", 'serving.endpoint'],
    [
      "{ adapter: mlflow, trackingUri: 'https://mlflow.test', registeredModel: '' }",
      'serving.registeredModel',
    ],
    [
      "{ adapter: mlflow, trackingUri: 'https://mlflow.test', registeredModel: '  ' }",
      'serving.registeredModel',
    ],
  ])('is refused when required, naming the field: %s', (serving, field) => {
    const problems = problemsOf(serving);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^m\\.yml:5: ${field.replace('.', '\\.')}: is empty`));
  });

  it('is the default when optional: an empty mlflow alias is champion, as when missing', async () => {
    const config = servingOf(
      "{ adapter: mlflow, trackingUri: 'https://mlflow.test', registeredModel: fraud, alias: '' }",
    );
    expect(config).toMatchObject({ alias: 'champion' });
    const scope = nock('https://mlflow.test')
      .get('/api/2.0/mlflow/registered-models/alias')
      .query({ name: 'fraud', alias: 'champion' })
      .reply(200, { model_version: { version: '4', status: 'READY' } })
      .get('/api/2.0/mlflow/registered-models/get')
      .query({ name: 'fraud' })
      .reply(200, { registered_model: { aliases: [] } });
    const adapter = createServingFactory({ env: {} })(config, { model: 'm' });
    expect(adapter.target).toBe('mlflow fraud@champion');
    expect((await adapter.state()).current).toBe('4');
    expect(scope.isDone()).toBe(true);
  });

  it('leaves the region to the SDK when region is empty, as when missing', async () => {
    const config = servingOf("{ adapter: sagemaker, endpoint: fraud-prod, region: '' }");
    expect(config.adapter === 'sagemaker' && config.region).toBeUndefined();
    // The start-up check then says no region is configured, as for a block without one ...
    const noRegion = servingCredentialProblems(config, { AWS_EC2_METADATA_DISABLED: 'true' }, () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    });
    expect(noRegion.map((problem) => problem.missing).join('\n')).toMatch(/no AWS region/);
    // ... and the adapter takes AWS_REGION, not an empty region that the SDK refuses on every call.
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    try {
      const scope = nock('https://api.sagemaker.eu-west-1.amazonaws.com')
        .post('/', { EndpointName: 'fraud-prod' })
        .reply(200, {
          EndpointName: 'fraud-prod',
          EndpointConfigName: 'cfg-2',
          EndpointStatus: 'InService',
        });
      const adapter = createServingFactory({ env: process.env })(config, { model: 'm' });
      expect((await adapter.state()).current).toBe('cfg-2');
      expect(scope.isDone()).toBe(true);
    } finally {
      delete process.env.AWS_REGION;
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it('reads an empty stableVariant as none: versions are endpoint configs, as when missing', () => {
    const config = servingOf("{ adapter: sagemaker, endpoint: fraud-prod, stableVariant: ' ' }");
    expect(config.adapter === 'sagemaker' && config.stableVariant).toBeUndefined();
  });

  it('trims a value written with blanks around it', () => {
    expect(
      servingOf("{ adapter: sagemaker, endpoint: ' fraud-prod ', region: ' eu-west-1 ' }"),
    ).toMatchObject({
      endpoint: 'fraud-prod',
      region: 'eu-west-1',
    });
  });
});
