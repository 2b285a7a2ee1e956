import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ChangeFailed,
  type ExecuteContext,
  type RollbackPlan,
  type ServingState,
} from '../../../src/engine/serving-port.js';
import { createSagemakerAdapter } from '../../../src/serving/sagemaker/adapter.js';
import { servingError } from '../../helpers/serving-calls.js';

const REGION = 'eu-west-1';
const HOST = `https://api.sagemaker.${REGION}.amazonaws.com`;
const ENDPOINT = 'fraud-prod';
const context: ExecuteContext = {
  idempotencyKey: 'INC-7:rollback',
  fence: 3,
  incidentId: 'INC-7',
  model: 'fraud-scorer',
  reason: 'error rate above 5%',
};

/** A client that signs with fake keys and never retries, so each test sees exactly one request per call. */
function client(): SageMakerClient {
  return new SageMakerClient({
    region: REGION,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

function multiVariant(timeoutMs?: number) {
  const config = {
    adapter: 'sagemaker' as const,
    endpoint: ENDPOINT,
    region: REGION,
    stableVariant: 'champion',
  };
  return createSagemakerAdapter(config, {
    model: 'fraud-scorer',
    client: client(),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

function singleConfig(timeoutMs?: number) {
  const config = { adapter: 'sagemaker' as const, endpoint: ENDPOINT, region: REGION };
  return createSagemakerAdapter(config, {
    model: 'fraud-scorer',
    client: client(),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

/** One SageMaker operation on the wire: awsJson1_1, POST /, the operation in X-Amz-Target, an exact body. */
function aws(operation: string, body: nock.DataMatcherMap) {
  return nock(HOST, {
    reqheaders: {
      'x-amz-target': `SageMaker.${operation}`,
      'content-type': 'application/x-amz-json-1.1',
    },
  }).post('/', body);
}

const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };

function describeEndpoint(answer: Record<string, unknown>, times = 1) {
  return aws('DescribeEndpoint', { EndpointName: ENDPOINT })
    .times(times)
    .reply(
      200,
      {
        EndpointName: ENDPOINT,
        EndpointArn: `arn:aws:sagemaker:${REGION}:1:endpoint/${ENDPOINT}`,
        ...answer,
      },
      JSON_11,
    );
}

function variants(
  status: string,
  weights: Record<string, number>,
  desired: Record<string, number> = weights,
) {
  return {
    EndpointStatus: status,
    EndpointConfigName: 'fraud-prod-cfg-3',
    ProductionVariants: Object.entries(weights).map(([name, weight]) => ({
      VariantName: name,
      CurrentWeight: weight,
      DesiredWeight: desired[name],
    })),
  };
}

function awsError(type: string, message: string) {
  return { __type: type, message };
}

/** The ServingError `promise` rejects with. */
const flipState = (current = 'challenger'): ServingState => ({
  current,
  traffic: [
    { version: 'champion', percent: 10 },
    { version: 'challenger', percent: 90 },
  ],
  rolloutInProgress: true,
  settled: true,
  summary: '',
});

const flipPlan: RollbackPlan = {
  from: 'challenger',
  to: 'champion',
  regime: 'traffic-flip',
  etaMs: 60_000,
  actions: [],
  data: {},
};
const redeployPlan: RollbackPlan = {
  from: 'fraud-prod-cfg-3',
  to: 'fraud-prod-cfg-2',
  regime: 'redeploy',
  etaMs: 600_000,
  actions: [],
  data: {},
};

const unmatched: string[] = [];
beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on(
    'no match',
    (req: { method?: string; path?: string; headers?: Record<string, unknown> }) => {
      unmatched.push(`${req.method ?? '?'} ${String(req.headers?.['x-amz-target'] ?? req.path)}`);
    },
  );
});
beforeEach(() => {
  unmatched.length = 0;
});
afterEach(() => {
  nock.cleanAll();
  // A request no interceptor expected (a mutating call in a dry run, a second UpdateEndpoint…) fails the test.
  expect(unmatched).toStrictEqual([]);
});

describe('sagemaker adapter: state', () => {
  it('reads a multi-variant endpoint as variants with weights in percent', async () => {
    const scope = describeEndpoint(variants('InService', { champion: 1, challenger: 3 }));
    const adapter = multiVariant();
    expect(adapter.kind).toBe('sagemaker');
    expect(adapter.target).toBe('sagemaker fraud-prod');
    const state = await adapter.state();
    expect(state).toMatchObject({
      current: 'challenger',
      previous: 'champion',
      traffic: [
        { version: 'champion', percent: 25 },
        { version: 'challenger', percent: 75 },
      ],
      rolloutInProgress: true,
      settled: true,
    });
    expect(state.summary).toContain('champion 25%, challenger 75%');
    expect(scope.isDone()).toBe(true);
  });

  it('reads a single-config endpoint as its endpoint config, with a deployment under way', async () => {
    describeEndpoint({
      EndpointStatus: 'Updating',
      EndpointConfigName: 'fraud-prod-cfg-3',
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1 }],
      PendingDeploymentSummary: { EndpointConfigName: 'fraud-prod-cfg-4' },
    });
    const state = await singleConfig().state();
    expect(state).toMatchObject({
      current: 'fraud-prod-cfg-3',
      traffic: [{ version: 'fraud-prod-cfg-3', percent: 100 }],
      rolloutInProgress: true,
      settled: false,
    });
    expect(state.previous).toBeUndefined();
    expect(state.summary).toContain('deploying fraud-prod-cfg-4');
  });
});

describe('sagemaker adapter: plan (a dry run makes no mutating call)', () => {
  it('plans a traffic flip onto the stable variant', async () => {
    const plan = await multiVariant().plan({ state: flipState() });
    expect(plan).toMatchObject({ from: 'challenger', to: 'champion', regime: 'traffic-flip', etaMs: 60_000 });
    expect(plan.actions.join('\n')).toContain('champion → weight 1, challenger → weight 0');
  });

  it('refuses a variant the endpoint does not have', async () => {
    const error = await servingError(multiVariant().plan({ to: 'blue', state: flipState() }));
    expect(error.transient).toBe(false);
    expect(error.hint).toContain('champion, challenger');
  });

  it("plans a redeploy onto the ledger's known-good config after checking it exists", async () => {
    const scope = aws('DescribeEndpointConfig', { EndpointConfigName: 'fraud-prod-cfg-2' }).reply(
      200,
      { EndpointConfigName: 'fraud-prod-cfg-2' },
      JSON_11,
    );
    const state = {
      current: 'fraud-prod-cfg-3',
      traffic: [],
      rolloutInProgress: false,
      settled: true,
      summary: '',
    };
    const plan = await singleConfig().plan({ knownGood: 'fraud-prod-cfg-2', state });
    expect(plan).toMatchObject({
      from: 'fraud-prod-cfg-3',
      to: 'fraud-prod-cfg-2',
      regime: 'redeploy',
      etaMs: 600_000,
    });
    expect(plan.actions.join('\n')).toContain("the ledger's last known-good config");
    expect(scope.isDone()).toBe(true);
  });

  it('refuses a redeploy when no previous endpoint config is known', async () => {
    const state = {
      current: 'fraud-prod-cfg-3',
      traffic: [],
      rolloutInProgress: false,
      settled: true,
      summary: '',
    };
    const error = await servingError(singleConfig().plan({ state }));
    expect(error.transient).toBe(false);
    expect(error.hint).toContain('POST /api/deployments');
  });

  it('refuses an endpoint config that does not exist', async () => {
    aws('DescribeEndpointConfig', { EndpointConfigName: 'nope' }).reply(
      400,
      awsError('ValidationException', 'Could not find endpoint configuration "nope".'),
      JSON_11,
    );
    const state = { traffic: [], rolloutInProgress: false, settled: true, summary: '' };
    const error = await servingError(singleConfig().plan({ to: 'nope', state }));
    expect(error.transient).toBe(false);
    expect(error.hint).toContain('endpoint config exists');
  });
});

describe('sagemaker adapter: execute', () => {
  it('flips weights: weight 1 on the target variant, 0 on every other', async () => {
    describeEndpoint(variants('InService', { champion: 1, challenger: 9 }));
    const update = aws('UpdateEndpointWeightsAndCapacities', {
      EndpointName: ENDPOINT,
      DesiredWeightsAndCapacities: [
        { VariantName: 'champion', DesiredWeight: 1 },
        { VariantName: 'challenger', DesiredWeight: 0 },
      ],
    }).reply(200, { EndpointArn: 'arn' }, JSON_11);
    const result = await multiVariant().execute(flipPlan, context);
    expect(result.mutated).toBe(true);
    expect(update.isDone()).toBe(true);
  });

  it('redeploys the previous endpoint config with UpdateEndpoint', async () => {
    describeEndpoint({ EndpointStatus: 'InService', EndpointConfigName: 'fraud-prod-cfg-3' });
    const update = aws('UpdateEndpoint', {
      EndpointName: ENDPOINT,
      EndpointConfigName: 'fraud-prod-cfg-2',
    }).reply(200, { EndpointArn: 'arn' }, JSON_11);
    const result = await singleConfig().execute(redeployPlan, context);
    expect(result).toMatchObject({ mutated: true });
    expect(result.output).toContain('deploying fraud-prod-cfg-2 (was fraud-prod-cfg-3)');
    expect(update.isDone()).toBe(true);
  });

  it('re-executing a flip makes no second call once the weights were asked for', async () => {
    describeEndpoint(variants('InService', { champion: 1, challenger: 9 }));
    const update = aws('UpdateEndpointWeightsAndCapacities', {
      EndpointName: ENDPOINT,
      DesiredWeightsAndCapacities: [
        { VariantName: 'champion', DesiredWeight: 1 },
        { VariantName: 'challenger', DesiredWeight: 0 },
      ],
    }).reply(200, { EndpointArn: 'arn' }, JSON_11);
    // Second attempt: SageMaker reports the requested weights as DesiredWeight while it is Updating.
    describeEndpoint(variants('Updating', { champion: 1, challenger: 9 }, { champion: 1, challenger: 0 }));
    const adapter = multiVariant();
    expect(await adapter.execute(flipPlan, context)).toMatchObject({ mutated: true });
    expect(await adapter.execute(flipPlan, context)).toMatchObject({ mutated: false });
    expect(update.isDone()).toBe(true);
  });

  it('re-executing a redeploy makes no second UpdateEndpoint while the target config deploys', async () => {
    describeEndpoint({ EndpointStatus: 'InService', EndpointConfigName: 'fraud-prod-cfg-3' });
    const update = aws('UpdateEndpoint', {
      EndpointName: ENDPOINT,
      EndpointConfigName: 'fraud-prod-cfg-2',
    }).reply(200, { EndpointArn: 'arn' }, JSON_11);
    describeEndpoint({
      EndpointStatus: 'Updating',
      EndpointConfigName: 'fraud-prod-cfg-3',
      PendingDeploymentSummary: { EndpointConfigName: 'fraud-prod-cfg-2' },
    });
    const adapter = singleConfig();
    expect(await adapter.execute(redeployPlan, context)).toMatchObject({ mutated: true });
    expect(await adapter.execute(redeployPlan, context)).toMatchObject({
      mutated: false,
      output: 'fraud-prod: deployment of fraud-prod-cfg-2 already in flight',
    });
    expect(update.isDone()).toBe(true);
  });

  it('makes no call when the endpoint already runs the target config', async () => {
    describeEndpoint({ EndpointStatus: 'InService', EndpointConfigName: 'fraud-prod-cfg-2' });
    expect(await singleConfig().execute(redeployPlan, context)).toMatchObject({
      mutated: false,
      output: 'fraud-prod already runs endpoint config fraud-prod-cfg-2',
    });
  });

  it('makes no call on an endpoint already Failed on the target config, and says so without claiming the failure as its own', async () => {
    describeEndpoint({
      EndpointStatus: 'Failed',
      EndpointConfigName: 'fraud-prod-cfg-2',
      FailureReason: 'Unable to provision requested ML compute capacity.',
    });
    const adapter = singleConfig();
    expect(await adapter.execute(redeployPlan, context)).toMatchObject({
      mutated: false,
      output: 'fraud-prod is already on endpoint config fraud-prod-cfg-2, and Failed',
    });
    describeEndpoint({
      EndpointStatus: 'Failed',
      EndpointConfigName: 'fraud-prod-cfg-2',
      FailureReason: 'Unable to provision requested ML compute capacity.',
    });
    const error = await servingError(adapter.onTarget(redeployPlan));
    expect(error).toBeInstanceOf(ChangeFailed);
    expect(error.message).toBe(
      'sagemaker fraud-prod is Failed: an update to fraud-prod-cfg-2 failed: Unable to provision requested ML compute capacity.',
    );
  });

  it.each(['Updating', 'SystemUpdating', 'RollingBack'])(
    'waits (transient, no call) while the endpoint is %s',
    async (status) => {
      describeEndpoint({ EndpointStatus: status, EndpointConfigName: 'fraud-prod-cfg-3' });
      const error = await servingError(singleConfig().execute(redeployPlan, context));
      expect(error.transient).toBe(true);
      expect(error.message).toContain('update in flight; retrying');
    },
  );

  it('treats "Cannot update in-progress endpoint" as an update in flight (transient)', async () => {
    describeEndpoint({ EndpointStatus: 'InService', EndpointConfigName: 'fraud-prod-cfg-3' });
    aws('UpdateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: 'fraud-prod-cfg-2' }).reply(
      400,
      awsError(
        'ValidationException',
        'Cannot update in-progress endpoint "arn:aws:sagemaker:eu-west-1:1:endpoint/fraud-prod".',
      ),
      JSON_11,
    );
    const error = await servingError(singleConfig().execute(redeployPlan, context));
    expect(error.transient).toBe(true);
    expect(error.message).toContain('update in flight; retrying');
  });
});

describe('sagemaker adapter: errors', () => {
  it('a missing endpoint is not transient and says to check the name and region', async () => {
    aws('DescribeEndpoint', { EndpointName: ENDPOINT }).reply(
      400,
      awsError(
        'ValidationException',
        'Could not find endpoint "arn:aws:sagemaker:eu-west-1:1:endpoint/fraud-prod".',
      ),
      JSON_11,
    );
    const error = await servingError(multiVariant().state());
    expect(error).toMatchObject({ transient: false, status: 400 });
    expect(error.message).toContain(
      'SageMaker DescribeEndpoint fraud-prod: ValidationException: Could not find endpoint',
    );
    expect(error.hint).toContain('serving.endpoint "fraud-prod" and serving.region (eu-west-1)');
  });

  it('access denied is not transient and names the IAM action', async () => {
    describeEndpoint(variants('InService', { champion: 0, challenger: 1 }));
    aws('UpdateEndpointWeightsAndCapacities', {
      EndpointName: ENDPOINT,
      DesiredWeightsAndCapacities: [
        { VariantName: 'champion', DesiredWeight: 1 },
        { VariantName: 'challenger', DesiredWeight: 0 },
      ],
    }).reply(
      400,
      { __type: 'AccessDeniedException', Message: 'User: arn:aws:iam::1:role/rollbot is not authorized' },
      JSON_11,
    );
    const error = await servingError(multiVariant().execute(flipPlan, context));
    expect(error.transient).toBe(false);
    expect(error.hint).toContain('sagemaker:UpdateEndpointWeightsAndCapacities');
  });

  it('an account quota the new fleet would exceed is named as such, not as a bad serving block', async () => {
    // UpdateEndpoint provisions a whole new fleet beside the old one (blue/green): the instance quota is what a
    // rollback to an old endpoint config runs into, and no edit of the runbook fixes it.
    describeEndpoint({ EndpointStatus: 'InService', EndpointConfigName: 'fraud-prod-cfg-3' });
    aws('UpdateEndpoint', { EndpointName: ENDPOINT, EndpointConfigName: 'fraud-prod-cfg-2' }).reply(
      400,
      awsError(
        'ResourceLimitExceeded',
        "The account-level service limit 'ml.g5.2xlarge for endpoint usage' is 4 Instances, with current utilization of 4 Instances and a request delta of 2 Instances.",
      ),
      JSON_11,
    );
    const error = await servingError(singleConfig().execute(redeployPlan, context));
    expect(error.transient).toBe(false);
    expect(error.message).toContain("ResourceLimitExceeded: The account-level service limit 'ml.g5.2xlarge");
    expect(error.hint).toBe(
      'an AWS service quota of the account (eu-west-1) is reached, as SageMaker says above: UpdateEndpoint provisions a new fleet beside the old one until it takes the traffic, so it needs room for both; raise the quota (Service Quotas) or free instances, then roll back again',
    );
  });

  it('throttling is transient', async () => {
    aws('DescribeEndpoint', { EndpointName: ENDPOINT }).reply(
      400,
      awsError('ThrottlingException', 'Rate exceeded'),
      JSON_11,
    );
    expect((await servingError(multiVariant().state())).transient).toBe(true);
  });

  it('5xx is transient, even with a body that is not JSON', async () => {
    aws('DescribeEndpoint', { EndpointName: ENDPOINT }).reply(503, 'Service Unavailable');
    const error = await servingError(multiVariant().state());
    expect(error).toMatchObject({ transient: true, status: 503 });
  });

  it('a network error is transient', async () => {
    // An Error instance: nock never delivers a plain-object error to the SDK's request handler.
    const error = Object.assign(new Error('getaddrinfo ENOTFOUND api.sagemaker.eu-west-1.amazonaws.com'), {
      code: 'ENOTFOUND',
    });
    aws('DescribeEndpoint', { EndpointName: ENDPOINT }).replyWithError(error);
    const failure = await servingError(multiVariant().state());
    expect(failure.transient).toBe(true);
    expect(failure.hint).toContain('api.sagemaker.eu-west-1.amazonaws.com');
  });

  it('no region anywhere is a configuration error, not a network one: not transient, says where to set it', async () => {
    // The runbook gives no region and neither does the environment: the SDK fails before sending anything.
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    try {
      const noRegion = new SageMakerClient({
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
        maxAttempts: 1,
      });
      const adapter = createSagemakerAdapter(
        { adapter: 'sagemaker', endpoint: ENDPOINT },
        { model: 'fraud-scorer', client: noRegion },
      );
      const error = await servingError(adapter.state());
      expect(error.transient).toBe(false);
      expect(error.message).toBe('SageMaker DescribeEndpoint fraud-prod: no AWS region is configured');
      expect(error.hint).toBe(
        "set serving.region in the runbook (for example region: eu-west-1), or AWS_REGION in rollbot's environment",
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('a call with no answer in time is transient', async () => {
    aws('DescribeEndpoint', { EndpointName: ENDPOINT }).delay(2_000).reply(200, {}, JSON_11);
    const error = await servingError(multiVariant(50).state());
    expect(error.transient).toBe(true);
    expect(error.message).toContain('no answer within 50ms');
  });
});

describe('sagemaker adapter: onTarget', () => {
  it('is true once InService with all weight on the target variant', async () => {
    describeEndpoint(variants('InService', { champion: 1, challenger: 0 }));
    expect(await multiVariant().onTarget(flipPlan)).toBe(true);
  });

  it('is false while weight remains elsewhere or the endpoint is updating', async () => {
    describeEndpoint(variants('InService', { champion: 1, challenger: 1 }));
    expect(await multiVariant().onTarget(flipPlan)).toBe(false);
    describeEndpoint(variants('Updating', { champion: 1, challenger: 0 }));
    expect(await multiVariant().onTarget(flipPlan)).toBe(false);
  });

  it('is true once InService on the target endpoint config, false before', async () => {
    describeEndpoint({ EndpointStatus: 'InService', EndpointConfigName: 'fraud-prod-cfg-2' });
    expect(await singleConfig().onTarget(redeployPlan)).toBe(true);
    describeEndpoint({
      EndpointStatus: 'Updating',
      EndpointConfigName: 'fraud-prod-cfg-3',
      PendingDeploymentSummary: { EndpointConfigName: 'fraud-prod-cfg-2' },
    });
    expect(await singleConfig().onTarget(redeployPlan)).toBe(false);
  });

  it("says a redeploy failed, with SageMaker's FailureReason, when the endpoint reports Failed", async () => {
    describeEndpoint({
      EndpointStatus: 'Failed',
      EndpointConfigName: 'fraud-prod-cfg-3',
      FailureReason:
        'Unable to provision requested ML compute capacity. Please retry using a different ML instance type.',
    });
    const error = await servingError(singleConfig().onTarget(redeployPlan));
    expect(error).toBeInstanceOf(ChangeFailed);
    expect(error.transient).toBe(false);
    expect(error.message).toBe(
      'sagemaker fraud-prod is Failed: an update to fraud-prod-cfg-2 failed: Unable to provision requested ML compute capacity. Please retry using a different ML instance type.',
    );
    expect(error.hint).toContain('SageMaker will not finish this update');
  });

  it('says a flip failed when the endpoint reports Failed, and that SageMaker gave no reason when it gave none', async () => {
    describeEndpoint(variants('Failed', { champion: 0, challenger: 1 }));
    const error = await servingError(multiVariant().onTarget(flipPlan));
    expect(error).toBeInstanceOf(ChangeFailed);
    expect(error.message).toBe(
      'sagemaker fraud-prod is Failed: an update to champion failed (SageMaker gave no FailureReason)',
    );
  });

  it('says the update failed when SageMaker could not roll the failed update back either (UpdateRollbackFailed)', async () => {
    describeEndpoint({
      EndpointStatus: 'UpdateRollbackFailed',
      EndpointConfigName: 'fraud-prod-cfg-3',
      FailureReason: 'The rollback of the update failed.',
    });
    const error = await servingError(singleConfig().onTarget(redeployPlan));
    expect(error).toBeInstanceOf(ChangeFailed);
    expect(error.message).toBe(
      'sagemaker fraud-prod is UpdateRollbackFailed: an update to fraud-prod-cfg-2 failed: The rollback of the update failed.',
    );
    expect(error.hint).toContain('could not roll the failed update back');
  });

  it('keeps waiting while SageMaker is RollingBack: that is an update still in flight, whose end is read then', async () => {
    describeEndpoint({
      EndpointStatus: 'RollingBack',
      EndpointConfigName: 'fraud-prod-cfg-3',
      PendingDeploymentSummary: { EndpointConfigName: 'fraud-prod-cfg-2' },
    });
    expect(await singleConfig().onTarget(redeployPlan)).toBe(false);
  });
});
