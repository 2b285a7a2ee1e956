import type { z } from 'zod';
import { isRollbotError, ServingError } from '../../core/errors.js';
import { requestJson } from '../request.js';
import type { KubeConnection } from './types.js';

/** What a call touches: for error messages and for the RBAC hint on a 403. */
export interface KubeRef {
  /** The object, for people: `Rollout ml-prod/churn-predictor`, `ReplicaSets of Rollout ml-prod/churn-predictor`. */
  what: string;
  /** The API group a Role rule names: `argoproj.io`, `apps`, `serving.kserve.io`. */
  group: string;
  /** The resource a Role rule names, with its subresource: `rollouts`, `rollouts/status`, `replicasets`. */
  resource: string;
  namespace: string;
}

/** `merge`: application/merge-patch+json; `json`: application/json-patch+json (RFC 6902 operations). */
export type PatchType = 'merge' | 'json';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

/** The few Kubernetes API calls the serving adapters make; every error is a ServingError. */
export interface KubeClient {
  /** GETs `path` and checks the answer against `schema`. */
  get<T>(path: string, ref: KubeRef, schema: z.ZodType<T>): Promise<T>;
  /** Lists `path` (a collection) filtered by a label selector such as `app=churn,tier=model`. */
  list<T>(path: string, labelSelector: string, ref: KubeRef, schema: z.ZodType<T>): Promise<T>;
  /**
   * PATCHes `path`; resolves with the API's answer (the patched object). With `dryRun` the API server admits the
   * patch (mutating webhooks included) and answers with the object as it would store it, storing nothing; it
   * needs the same RBAC as the patch.
   */
  patch(
    path: string,
    body: unknown,
    type: PatchType,
    ref: KubeRef,
    options?: { dryRun?: boolean },
  ): Promise<unknown>;
}

/**
 * A client over `requestJson`. `kube` is called for every request so that a rotated service-account token
 * (or a changed kubeconfig) is used as soon as it is on disk.
 */
export function createKubeClient(options: { kube: () => KubeConnection; timeoutMs: number }): KubeClient {
  async function call(
    method: string,
    verb: string,
    path: string,
    ref: KubeRef,
    extra: { body?: unknown; contentType?: string; dryRun?: boolean } = {},
  ): Promise<unknown> {
    const { dryRun = false, ...payload } = extra;
    const what = `${method}${dryRun ? ' (dry run)' : ''} ${ref.what}`;
    const connection = connect(options.kube, what);
    const headers: Record<string, string> =
      connection.token === undefined ? {} : { authorization: `Bearer ${connection.token}` };
    try {
      const response = await requestJson({
        method: method === 'LIST' ? 'GET' : method,
        url: connection.server.replace(/\/+$/, '') + path + (dryRun ? '?dryRun=All' : ''),
        headers,
        timeoutMs: options.timeoutMs,
        tls: connection.tls,
        what,
        ...payload,
      });
      return response.body;
    } catch (error) {
      throw withKubeHint(error, verb, ref);
    }
  }

  return {
    async get(path, ref, schema) {
      return checked(await call('GET', 'get', path, ref), schema, `GET ${ref.what}`);
    },
    async list(path, labelSelector, ref, schema) {
      const query = labelSelector === '' ? '' : `?labelSelector=${encodeURIComponent(labelSelector)}`;
      return checked(await call('LIST', 'list', path + query, ref), schema, `LIST ${ref.what}`);
    },
    patch(path, body, type, ref, { dryRun = false } = {}) {
      return call('PATCH', 'patch', path, ref, { body, contentType: PATCH_CONTENT_TYPES[type], dryRun });
    },
  };
}

function connect(kube: () => KubeConnection, what: string): KubeConnection {
  try {
    return kube();
  } catch (error) {
    // Missing credentials are not going to appear on a retry: report at once, with the loader's hint.
    const hint = isRollbotError(error) ? error.hint : undefined;
    const message = error instanceof Error ? error.message : String(error);
    throw new ServingError(`${what}: ${message}`, {
      transient: false,
      hint: hint ?? 'check the Kubernetes credentials',
      cause: error,
    });
  }
}

function checked<T>(body: unknown, schema: z.ZodType<T>, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ServingError(
    `${what}: unexpected answer at ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`,
    {
      transient: false,
      hint: 'check that the server is a Kubernetes API server and the CRD version matches',
    },
  );
}

/** The same error with a hint that names the exact RBAC rule or object to check. */
function withKubeHint(error: unknown, verb: string, ref: KubeRef): unknown {
  if (!(error instanceof ServingError)) return error;
  let hint: string | undefined;
  if (error.status === 403) {
    hint =
      `rollbot may not ${verb} ${ref.resource} in ${ref.namespace}: bind its service account to a Role with ` +
      `{apiGroups: ["${ref.group}"], resources: ["${ref.resource}"], verbs: ["${verb}"]} ` +
      `(check with ${canI(verb, ref)})`;
  } else if (error.status === 404) {
    hint = `${ref.what} not found: check the namespace and name in the runbook serving block, and that the CRD is installed`;
  } else if (error.status === 401) {
    hint =
      'the Kubernetes API refused the credentials: check the service-account token or the kubeconfig user';
  }
  if (hint === undefined) return error;
  return new ServingError(error.message, {
    transient: error.transient,
    hint,
    details: error.details,
    cause: error,
    ...(error.status === undefined ? {} : { status: error.status }),
  });
}

/** The kubectl command that checks the permission: `kubectl auth can-i patch rollouts.argoproj.io --subresource=status -n ml-prod`. */
function canI(verb: string, ref: KubeRef): string {
  const [resource, subresource] = ref.resource.split('/');
  const qualified = ref.group === '' ? resource : `${resource}.${ref.group}`;
  const sub = subresource === undefined ? '' : ` --subresource=${subresource}`;
  return `kubectl auth can-i ${verb} ${qualified}${sub} -n ${ref.namespace}`;
}
