/**
 * What the SageMaker adapter needs from its platform before its first call, checked without a network call and
 * without loading the AWS SDK (lazy.ts): a region and some source of credentials for the SDK's default chain.
 * The SDK's last resort for both is the EC2 instance metadata service, which only a network call could ask: so
 * "missing" here means "nothing but an instance role could give it", said as such.
 */
import { join } from 'node:path';
import { envValue, type Environment } from '../../env.js';
import type { CredentialProblem } from '../credential-problem.js';
import type { ReadFile } from '../k8s/types.js';
import type { SagemakerConfig } from './adapter.js';

/** The region and credentials the default chain of the AWS SDK for JavaScript (v3) would not find. */
export function sagemakerCredentialProblems(
  config: Pick<SagemakerConfig, 'region'>,
  env: Environment,
  readFile: ReadFile,
): CredentialProblem[] {
  const files = sharedFiles(env, readFile);
  const problems: CredentialProblem[] = [];
  const imds = instanceMetadataNote(env);
  if (config.region === undefined && envValue(env, 'AWS_REGION') === undefined && !files.region) {
    problems.push({
      missing: `no AWS region: serving.region is not set, nor AWS_REGION, nor a region in the AWS config file${imds}`,
      fix: "set serving.region in the runbook (for example region: eu-west-1), or AWS_REGION in rollbot's environment",
    });
  }
  if (!hasCredentialSource(env) && !files.credentials) {
    problems.push({
      missing:
        'no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
        'AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI, ' +
        `AWS_PROFILE) nor in the AWS credentials or config file${imds}`,
      fix:
        "give rollbot's pod an IAM role (EKS: IRSA or Pod Identity, which set these variables), or set " +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, allowed the sagemaker actions of runbooks/README.md',
    });
  }
  return problems;
}

/** The SDK's own variables, each a whole source of credentials as its default chain reads them. */
function hasCredentialSource(env: Environment): boolean {
  const set = (name: string) => envValue(env, name) !== undefined;
  return (
    (set('AWS_ACCESS_KEY_ID') && set('AWS_SECRET_ACCESS_KEY')) ||
    (set('AWS_WEB_IDENTITY_TOKEN_FILE') && set('AWS_ROLE_ARN')) ||
    set('AWS_CONTAINER_CREDENTIALS_FULL_URI') ||
    set('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') ||
    set('AWS_PROFILE')
  );
}

/**
 * What the shared files (`~/.aws/credentials`, `~/.aws/config`, or where AWS_SHARED_CREDENTIALS_FILE and
 * AWS_CONFIG_FILE point) may give: any profile may hold credentials (keys, SSO, a role, a process), so a
 * readable file counts; a region only where a `region =` line is.
 */
function sharedFiles(env: Environment, readFile: ReadFile): { credentials: boolean; region: boolean } {
  const home = envValue(env, 'HOME');
  const inHome = (file: string) => (home === undefined ? undefined : join(home, '.aws', file));
  const texts = [
    envValue(env, 'AWS_SHARED_CREDENTIALS_FILE') ?? inHome('credentials'),
    envValue(env, 'AWS_CONFIG_FILE') ?? inHome('config'),
  ].flatMap((path) => {
    if (path === undefined) return [];
    try {
      const data = readFile(path);
      return [typeof data === 'string' ? data : data.toString('utf8')];
    } catch {
      return [];
    }
  });
  return {
    credentials: texts.some((text) => text.trim() !== ''),
    region: texts.some((text) => /^\s*region\s*=\s*\S/m.test(text)),
  };
}

/** Whether the SDK would still ask the EC2 instance metadata service, which this check does not. */
function instanceMetadataNote(env: Environment): string {
  const disabled = envValue(env, 'AWS_EC2_METADATA_DISABLED');
  return disabled !== undefined && disabled !== 'false'
    ? ' (and AWS_EC2_METADATA_DISABLED turns off the instance role)'
    : '; only an EC2 instance role could still give it, which is not checked without a network call';
}
