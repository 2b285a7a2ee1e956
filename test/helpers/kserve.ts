import type { KubeConnection } from '../../src/serving/k8s/connection.js';
import { createKserveAdapter } from '../../src/serving/kserve/adapter.js';

/** The Kubernetes API the KServe tests' adapter talks to (nock answers it), and fraud-scorer's path on it. */
export const K8S_SERVER = 'https://k8s.test';
export const ISVC_PATH = '/apis/serving.kserve.io/v1beta1/namespaces/ml-prod/inferenceservices/fraud-scorer';
export const kube = (): KubeConnection => ({ server: K8S_SERVER, token: 't', tls: {} });

/** fraud-scorer's InferenceService in Standard mode, rolling back its predictor. */
export const standardKserve = (timeoutMs?: number) =>
  createKserveAdapter(
    {
      adapter: 'kserve',
      namespace: 'ml-prod',
      name: 'fraud-scorer',
      mode: 'standard',
      component: 'predictor',
    },
    { model: 'fraud-scorer', kube, ...(timeoutMs === undefined ? {} : { timeoutMs }) },
  );

/** Version `n`'s predictor as CI's manifest has it: the shorthand, nothing defaulted. */
export const manifestPredictor = (n: number) => ({
  name: `v${n}`,
  sklearn: { storageUri: `s3://models/fraud/${n}` },
});

/** The same predictor as KServe's mutating webhook stores it. */
export const admittedPredictor = (n: number) => ({
  name: `v${n}`,
  automountServiceAccountToken: false,
  model: {
    modelFormat: { name: 'sklearn' },
    storageUri: `s3://models/fraud/${n}`,
    resources: { limits: { cpu: '1', memory: '2Gi' }, requests: { cpu: '1', memory: '2Gi' } },
  },
});

/** The re-apply of v41's recorded predictor in Standard mode (the canary emptied), as a JSON patch. */
export const REAPPLY_V41 = [
  { op: 'replace', path: '/spec/predictor', value: manifestPredictor(41) },
  { op: 'add', path: '/spec/canary', value: [] },
];
