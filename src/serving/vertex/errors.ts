import { ServingError } from '../../core/errors.js';
import { maskSecrets } from '../template.js';
import { endpointResource, type VertexConfig } from './config.js';

/**
 * What a call acts on: the endpoint (read, traffic split), a deployment onto it, a deployment's operation, or the
 * registry model version a deployment would deploy.
 */
export type VertexCallKind = 'endpoint' | 'deploy' | 'operation' | 'model';

/** Which call failed, for hints. */
export interface VertexCall {
  config: Pick<VertexConfig, 'project' | 'location' | 'endpoint' | 'model'>;
  kind?: VertexCallKind;
  /** For kind 'model': the registry model (`projects/…/models/{m}`) and the version of it read. */
  modelVersion?: { model: string; version: string };
  /** Where the access token came from (GoogleTokenSource.describe). */
  source: string;
  /** The bearer token sent, masked out of messages should a proxy quote it back. */
  token: string | undefined;
}

/**
 * An update that lost a read-modify-write race: Vertex answers a stale etag with 409 ABORTED, or with 400
 * FAILED_PRECONDITION saying so. Re-reading and sending again is safe: the split we send is absolute.
 */
export function isEtagConflict(error: unknown): boolean {
  if (!(error instanceof ServingError)) return false;
  return error.status === 409 || (error.status === 400 && /etag/i.test(error.message));
}

/** requestJson's ServingError, with what to check on Google Cloud in particular. */
export function vertexError(error: unknown, call: VertexCall): unknown {
  if (!(error instanceof ServingError)) return error;
  const { project, location, endpoint } = call.config;
  const status = error.status;
  const fail = (
    transient: boolean,
    hint: string,
    message = maskSecrets(error.message, [call.token]),
  ): ServingError =>
    new ServingError(message, {
      transient,
      hint,
      effectUnknown: error.effectUnknown,
      cause: error,
      ...(status === undefined ? {} : { status }),
    });
  if (status === 401) {
    return fail(
      false,
      `Google refused the access token of ${call.source}: the key may be deleted or disabled; check GOOGLE_APPLICATION_CREDENTIALS or the pod's service account`,
    );
  }
  if (status === 403) {
    const permissions =
      call.kind === 'endpoint' || call.kind === undefined
        ? 'aiplatform.endpoints.get and aiplatform.endpoints.update'
        : call.kind === 'model'
          ? 'aiplatform.models.get (to check that the version to deploy again exists), aiplatform.endpoints.deploy and aiplatform.operations.get'
          : 'aiplatform.endpoints.deploy and aiplatform.models.get (to deploy a version again), aiplatform.operations.get';
    return fail(
      false,
      `allow ${call.source} ${permissions} on project ${project} ` +
        '(roles/aiplatform.user), and check that the Vertex AI API (aiplatform.googleapis.com) is enabled there',
    );
  }
  if (call.kind === 'model' && call.modelVersion && (status === 404 || status === 400)) {
    return noSuchVersion(fail, call.modelVersion, call.config, maskSecrets(error.message, [call.token]));
  }
  if (call.kind === 'deploy' && (status === 404 || status === 400)) {
    return fail(
      false,
      `Vertex AI refused to deploy the version on endpoint ${endpoint}: check that the version exists ` +
        `(gcloud ai models list-version <model id> --project=${project} --region=${location}) and serving.model`,
    );
  }
  if (call.kind === 'operation' && status === 404) {
    return fail(
      false,
      `the deployment's operation is gone: check what endpoint ${endpoint} serves (gcloud ai endpoints describe ${endpoint} --project=${project} --region=${location})`,
    );
  }
  if (call.kind === 'deploy' && status === 429) {
    return fail(
      true,
      `Vertex AI refused the deployment for a quota of project ${project} (requests per minute, or serving nodes: ` +
        'the old version is deployed next to the bad one): rollbot retries within the rollback target; if it is a ' +
        'serving quota (custom_model_serving_*), free nodes by undeploying an idle model, or raise the quota',
    );
  }
  if (status === 404) {
    return fail(
      false,
      `no endpoint ${endpointResource(call.config)}: check serving.project, serving.location and serving.endpoint ` +
        `(gcloud ai endpoints list --project=${project} --region=${location} lists the IDs)`,
    );
  }
  if (isEtagConflict(error)) {
    return fail(
      true,
      `endpoint ${endpoint} changed while rollbot updated it: rollbot re-reads it and retries`,
    );
  }
  if (status === 429) {
    return fail(
      true,
      `throttled by Vertex AI (a quota of project ${project}): rollbot retries within the rollback target`,
    );
  }
  if (status !== undefined && status >= 500) {
    return fail(true, 'Vertex AI failed: rollbot retries within the rollback target');
  }
  if (status === 400) {
    return fail(false, 'Vertex AI refused the request as invalid: check the runbook serving block');
  }
  return fail(error.transient, error.hint ?? 'check the runbook serving block');
}

/**
 * GetModel of `{model}@{version}` answered 404 (or 400, for a version that cannot be one): the rollback target is
 * a typo, or a version deleted from the registry since the ledger recorded it. Said at plan time, before anyone
 * approves a deployment that could only fail.
 */
function noSuchVersion(
  fail: (transient: boolean, hint: string, message: string) => ServingError,
  { model, version }: { model: string; version: string },
  config: VertexCall['config'],
  answer: string,
): ServingError {
  const id = model.split('/').pop() ?? model;
  return fail(
    false,
    'check the rollback target (a typo in --to, or a version the ledger recorded that was deleted from the registry)' +
      // The runbook's serving.model, when set, is the model the version was looked up in: it may be the typo.
      (config.model === undefined ? '' : ', or serving.model, the registry model it is a version of') +
      `: gcloud ai models list-version ${id} --project=${config.project} --region=${config.location} lists the versions that exist; roll back to one of them`,
    `version ${version} of registry model ${model} does not exist, so rollbot cannot deploy it again on vertex endpoint ${config.endpoint} (${answer})`,
  );
}
