import { readFileSync } from 'node:fs';
import { isRollbotError, RollbotError } from '../../core/errors.js';
import { envValue, type Environment } from '../../env.js';
import type { CredentialProblem } from '../credential-problem.js';
import { kubeconfigPath, readKubeconfig, text, tryRead } from './kubeconfig.js';
import type { KubeConnection, ReadFile } from './types.js';

export type { KubeConnection, ReadFile } from './types.js';

/** Where the kubelet mounts a pod's service-account token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The connection rollbot uses for Kubernetes-based serving layers: the pod's service account when running
 * in a cluster, else the current context of the kubeconfig (`KUBECONFIG`, first path, or `~/.kube/config`).
 * Files are read on every call because projected service-account tokens rotate (hourly by default): callers
 * pass `() => loadKubeConnection(env)` to adapters rather than a loaded connection.
 *
 * @throws RollbotError `INVALID_CONFIG` naming the file and field that are missing and how to fix it.
 */
export function loadKubeConnection(env: Environment, readFile: ReadFile = readFileSync): KubeConnection {
  const host = envValue(env, 'KUBERNETES_SERVICE_HOST');
  const port = envValue(env, 'KUBERNETES_SERVICE_PORT');
  let inClusterProblem: string | undefined;
  if (host && port) {
    const token = tryRead(readFile, `${SERVICE_ACCOUNT_DIR}/token`);
    if (token.ok) return inCluster(host, port, text(token.data), readFile);
    // A pod with automountServiceAccountToken: false may still carry a mounted kubeconfig.
    inClusterProblem = `KUBERNETES_SERVICE_HOST is set but ${SERVICE_ACCOUNT_DIR}/token cannot be read (${token.reason})`;
  }
  const file = kubeconfigPath(env);
  if (file === undefined) {
    throw new RollbotError(
      'INVALID_CONFIG',
      noCredentials(inClusterProblem, 'neither KUBECONFIG nor HOME is set'),
      {
        hint: 'set KUBECONFIG or run rollbot in a pod with a service account',
      },
    );
  }
  const content = tryRead(readFile, file);
  if (!content.ok) {
    throw new RollbotError(
      'INVALID_CONFIG',
      noCredentials(inClusterProblem, `cannot read kubeconfig ${file} (${content.reason})`),
      {
        hint: 'set KUBECONFIG to a readable kubeconfig file or run rollbot in a pod with a service account',
      },
    );
  }
  return readKubeconfig(file, text(content.data), readFile);
}

/**
 * What a Kubernetes-based serving layer (kserve, argo-rollouts) would refuse for want of credentials, by the same
 * reading as its calls (loadKubeConnection: files only, no network), or undefined when it would connect.
 */
export function kubeCredentialProblem(
  env: Environment,
  readFile: ReadFile = readFileSync,
): CredentialProblem | undefined {
  try {
    loadKubeConnection(env, readFile);
    return undefined;
  } catch (error) {
    if (!isRollbotError(error, 'INVALID_CONFIG')) throw error;
    return {
      missing: error.message,
      fix: error.hint ?? 'set KUBECONFIG or run rollbot in a pod with a service account',
    };
  }
}

function inCluster(host: string, port: string, token: string, readFile: ReadFile): KubeConnection {
  const caFile = `${SERVICE_ACCOUNT_DIR}/ca.crt`;
  const ca = tryRead(readFile, caFile);
  if (!ca.ok) {
    // Without the cluster CA every call would fail later with an opaque TLS error.
    throw new RollbotError('INVALID_CONFIG', `in-cluster Kubernetes: cannot read ${caFile} (${ca.reason})`, {
      hint: 'mount the service account (automountServiceAccountToken: true) or set KUBECONFIG',
    });
  }
  // An IPv6 service host must be bracketed in a URL.
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { server: `https://${hostPart}:${port}`, token: token.trim(), tls: { ca: ca.data } };
}

function noCredentials(inClusterProblem: string | undefined, problem: string): string {
  const prefix = 'no Kubernetes credentials: ';
  return inClusterProblem === undefined ? prefix + problem : `${prefix}${inClusterProblem}, and ${problem}`;
}
