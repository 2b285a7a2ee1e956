import { ServingError } from '../../core/errors.js';

/** Which call failed, for messages and IAM hints. */
export interface SagemakerCall {
  /** The SageMaker operation, which is also the IAM action name: `UpdateEndpoint`. */
  operation: string;
  endpoint: string;
  /** The runbook's region, when it names one (else the SDK's default chain picked it). */
  region: string | undefined;
}

const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied']);
const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'CredentialsProviderError',
]);
const CONFLICT = new Set(['ConflictException', 'ResourceInUse']);
/**
 * SageMaker answers an update of a busy endpoint with a ValidationException, not a 409; the wording is not
 * documented ("Cannot update in-progress endpoint" is the one seen in practice), so match loosely.
 */
const IN_PROGRESS_TEXT =
  /in-progress|in progress|being updated|\b(Updating|Creating|SystemUpdating|RollingBack)\b/;

interface AwsErrorShape {
  name?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The ServingError `error` (thrown by the AWS SDK during `call`) becomes: transient or not, and why. */
export function sagemakerError(error: unknown, call: SagemakerCall): ServingError {
  if (error instanceof ServingError) return error;
  const shape: AwsErrorShape = error !== null && typeof error === 'object' ? (error as AwsErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const text = typeof shape.message === 'string' ? shape.message : String(error);
  const status = shape.$metadata?.httpStatusCode;
  const what = `SageMaker ${call.operation} ${call.endpoint}`;
  const region = call.region ?? 'the default AWS region';
  const fail = (transient: boolean, hint: string, message = `${what}: ${name}: ${text}`): ServingError =>
    new ServingError(message, {
      transient,
      hint,
      cause: error,
      ...(status === undefined ? {} : { status }),
      details: { operation: call.operation, error: name },
    });

  // Thrown by the SDK before anything is sent (no HTTP status), like a network error: without this it would be
  // retried for the whole rollback target and blamed on the network.
  if (status === undefined && /^Region is missing/i.test(text)) {
    return fail(
      false,
      "set serving.region in the runbook (for example region: eu-west-1), or AWS_REGION in rollbot's environment",
      `${what}: no AWS region is configured`,
    );
  }
  // Also thrown before anything is sent: a region that is not a hostname label (`eu west 1`, from AWS_REGION or a
  // profile; the runbook's own is checked when it loads). No retry makes it one.
  const refusedRegion = status === undefined ? /^Region not accepted: region="(.*)"/i.exec(text) : null;
  if (refusedRegion) {
    return fail(
      false,
      call.region === undefined
        ? "fix AWS_REGION in rollbot's environment (or the region of the AWS profile in use), or set serving.region in the runbook: a region looks like eu-west-1"
        : 'fix serving.region in the runbook: a region looks like eu-west-1',
      `${what}: the AWS region "${refusedRegion[1] ?? ''}" is not accepted by the AWS SDK`,
    );
  }
  if (name === 'ValidationException' && /could not find endpoint config/i.test(text)) {
    return fail(
      false,
      `check that the endpoint config exists in ${region} (the rollback target, or the ledger's)`,
    );
  }
  if (name === 'ValidationException' && /could not find endpoint/i.test(text)) {
    return fail(
      false,
      `check serving.endpoint "${call.endpoint}" and serving.region (${region}): the endpoint must exist in that account and region`,
    );
  }
  if (
    CONFLICT.has(name) ||
    status === 409 ||
    (name === 'ValidationException' && IN_PROGRESS_TEXT.test(text))
  ) {
    return fail(
      true,
      'another update of the endpoint is in flight: rollbot retries within the rollback target',
      `${what}: update in flight; retrying (${text})`,
    );
  }
  if (DENIED.has(name) || status === 403) {
    return fail(
      false,
      `allow rollbot's IAM principal the action sagemaker:${call.operation} on endpoint ${call.endpoint} (${region})`,
    );
  }
  if (BAD_CREDENTIALS.has(name)) {
    return fail(
      false,
      'AWS credentials are missing, invalid or expired: check the default credential chain (env, profile, web identity, instance role)',
    );
  }
  if (name === 'ResourceLimitExceeded') {
    // Not the runbook's fault, and no retry within the rollback target frees an instance: say what it is.
    const fleet =
      call.operation === 'UpdateEndpoint'
        ? ': UpdateEndpoint provisions a new fleet beside the old one until it takes the traffic, so it needs room for both'
        : '';
    return fail(
      false,
      `an AWS service quota of the account (${region}) is reached, as SageMaker says above${fleet}; raise the quota (Service Quotas) or free instances, then roll back again`,
    );
  }
  if (THROTTLED.has(name) || status === 429) {
    return fail(true, 'throttled by SageMaker: rollbot retries within the rollback target');
  }
  if ((status !== undefined && status >= 500) || shape.$fault === 'server') {
    return fail(true, 'SageMaker failed: rollbot retries within the rollback target');
  }
  if (status === undefined) {
    // No HTTP answer at all: DNS, connection reset, TLS, aborted. Retrying may help.
    return fail(
      true,
      `check that api.sagemaker.${call.region ?? '<region>'}.amazonaws.com is reachable from rollbot (DNS, proxy, network policy)`,
    );
  }
  return fail(false, 'SageMaker refused the request: check the runbook serving block');
}

/** The call got no answer within `timeoutMs`. */
export function sagemakerTimeout(call: SagemakerCall, timeoutMs: number): ServingError {
  return new ServingError(`SageMaker ${call.operation} ${call.endpoint}: no answer within ${timeoutMs}ms`, {
    transient: true,
    hint: `check that the SageMaker API in ${call.region ?? 'the default AWS region'} is reachable from rollbot`,
    details: { operation: call.operation, error: 'Timeout' },
  });
}
