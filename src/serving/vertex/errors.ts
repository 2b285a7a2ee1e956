import { ServingError } from '../../core/errors.js';
import { MASK } from '../template.js';
import { endpointResource, type VertexConfig } from './config.js';

/** Which call failed, for hints. */
export interface VertexCall {
  config: Pick<VertexConfig, 'project' | 'location' | 'endpoint'>;
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
    return fail(
      false,
      `allow ${call.source} aiplatform.endpoints.get and aiplatform.endpoints.update on project ${project} ` +
        '(roles/aiplatform.user), and check that the Vertex AI API (aiplatform.googleapis.com) is enabled there',
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
