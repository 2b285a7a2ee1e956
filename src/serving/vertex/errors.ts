import { ServingError } from '../../core/errors.js';
import { MASK } from '../template.js';
import { endpointResource, type VertexConfig } from './config.js';

/** What a call acts on: the endpoint (read, traffic split), a deployment onto it, or a deployment's operation. */
export type VertexCallKind = 'endpoint' | 'deploy' | 'operation';

/** Which call failed, for hints. */
export interface VertexCall {
  config: Pick<VertexConfig, 'project' | 'location' | 'endpoint'>;
  kind?: VertexCallKind;
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
  const fail = (transient: boolean, hint: string): ServingError =>
    new ServingError(masked(error.message, call.token), {
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
        : 'aiplatform.endpoints.deploy and aiplatform.models.get (to deploy a version again), aiplatform.operations.get';
    return fail(
      false,
      `allow ${call.source} ${permissions} on project ${project} ` +
        '(roles/aiplatform.user), and check that the Vertex AI API (aiplatform.googleapis.com) is enabled there',
    );
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

function masked(message: string, token: string | undefined): string {
  return token !== undefined && token.length >= 4 ? message.split(token).join(MASK) : message;
}
