/**
 * What the Vertex adapter needs from its platform, checked without a network call: a usable key file where
 * GOOGLE_APPLICATION_CREDENTIALS points, else the metadata server, which only a network call could ask. Off
 * Google Cloud nothing answers there, so the check says that it will be asked (a note, as SageMaker's instance
 * role is), not that credentials are missing: on GKE with Workload Identity nothing is.
 */
import { envValue, type Environment } from '../../env.js';
import type { CredentialProblem } from '../credential-problem.js';
import type { ReadFile } from '../k8s/types.js';
import { CREDENTIALS_VARIABLE, readCredentialsFile } from './adc-file.js';

const IAM = 'allowed aiplatform.endpoints.get and aiplatform.endpoints.update (roles/aiplatform.user)';

export function vertexCredentialProblems(env: Environment, readFile: ReadFile): CredentialProblem[] {
  const file = readCredentialsFile(env, readFile);
  if (file === undefined) {
    const host = envValue(env, 'GCE_METADATA_HOST') ?? 'metadata.google.internal';
    return [
      {
        level: 'note',
        missing:
          `${CREDENTIALS_VARIABLE} is not set: rollbot will ask the metadata server (${host}) for its service ` +
          "account's token, which is not checked without a network call",
        fix:
          `unless this replica runs on GKE with Workload Identity (or on GCE) with a service account ${IAM}, ` +
          `rollbacks through this serving layer fail: set ${CREDENTIALS_VARIABLE} to a service account key file`,
      },
    ];
  }
  if (!file.ok) return [{ missing: `no Google credentials: ${file.problem}`, fix: file.fix }];
  return [];
}
