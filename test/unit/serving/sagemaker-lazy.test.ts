import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLazySagemakerAdapter } from '../../../src/serving/sagemaker/lazy.js';

const REGION = 'eu-west-1';
const ENDPOINT = 'fraud-prod';
const config = {
  adapter: 'sagemaker' as const,
  endpoint: ENDPOINT,
  region: REGION,
  stableVariant: 'champion',
};

/**
 * Run in a fresh process, because this one may have loaded the SDK already: whether the serving factory's
 * sagemaker adapter loads `@aws-sdk/client-sagemaker` when built, and whether it is loaded once the real
 * adapter module is imported (which shows the check can see it at all). The SDK is CommonJS, so it shows
 * in require.cache.
 */
const PROBE = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const loaded = () => Object.keys(require.cache).some((path) => path.includes('client-sagemaker'));
const { createServingFactory } = await import(${JSON.stringify(new URL('../../../src/serving/index.ts', import.meta.url).href)});
const factory = createServingFactory({ env: {} });
const adapter = factory(${JSON.stringify(config)}, { model: 'fraud-scorer' });
const built = loaded();
await import(${JSON.stringify(new URL('../../../src/serving/sagemaker/adapter.ts', import.meta.url).href)});
console.log(JSON.stringify({ kind: adapter.kind, target: adapter.target, built, imported: loaded() }));
`;

describe('the SageMaker adapter, loaded lazily (bench F9)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  it('does not load the AWS SDK when the adapter is built, only when it is used', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', PROBE],
      { timeout: 60_000 },
    );
    expect(JSON.parse(stdout)).toEqual({
      kind: 'sagemaker',
      target: `sagemaker ${ENDPOINT}`,
      built: false,
      imported: true,
    });
  }, 90_000);

  it('forwards calls to the real adapter once loaded', async () => {
    const client = new SageMakerClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    const adapter = createLazySagemakerAdapter(config, { model: 'fraud-scorer', client });
    expect([adapter.kind, adapter.target]).toEqual(['sagemaker', `sagemaker ${ENDPOINT}`]);
    const scope = nock(`https://api.sagemaker.${REGION}.amazonaws.com`, {
      reqheaders: { 'x-amz-target': 'SageMaker.DescribeEndpoint' },
    })
      .post('/', { EndpointName: ENDPOINT })
      .twice()
      .reply(
        200,
        {
          EndpointName: ENDPOINT,
          EndpointStatus: 'InService',
          EndpointConfigName: 'cfg-3',
          ProductionVariants: [
            { VariantName: 'champion', CurrentWeight: 1, DesiredWeight: 1 },
            { VariantName: 'challenger', CurrentWeight: 0, DesiredWeight: 0 },
          ],
        },
        { 'content-type': 'application/x-amz-json-1.1' },
      );
    const [state, onTarget] = await Promise.all([
      adapter.state(),
      adapter.onTarget({ to: 'champion', regime: 'traffic-flip', etaMs: 1, actions: [], data: {} }),
    ]);
    expect(state.current).toBe('champion');
    expect(onTarget).toBe(true);
    scope.done();
  });
});
