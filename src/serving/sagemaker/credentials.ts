/**
 * What the SageMaker adapter needs from its platform before its first call, checked without a network call and
 * without loading the AWS SDK (lazy.ts): a region and some source of credentials for the default chain of the AWS
 * SDK for JavaScript v3 (@aws-sdk/credential-provider-node), source by source as it reads them. The SDK's last
 * resort for both is the EC2 instance metadata service, which only a network call could ask: while it is on,
 * what the check does not find is a note that says what was looked for and that the instance will be asked, not
 * a warning that it is missing (on EC2 with an instance role, nothing is).
 */
import { join } from 'node:path';
import { envValue, type Environment } from '../../env.js';
import type { CredentialProblem } from '../credential-problem.js';
import type { ReadFile } from '../k8s/types.js';
import type { SagemakerConfig } from './adapter.js';
import { isAwsRegion } from './config.js';
import { profileIn, type IniProfile } from './shared-files.js';

const ENV_SOURCES =
  '(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, ' +
  'AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI)';
const IAM = 'allowed the sagemaker actions of runbooks/README.md';
const GIVE_CREDENTIALS =
  "give rollbot's pod an IAM role (EKS: IRSA or Pod Identity, which set these variables), or set " +
  `AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ${IAM}`;
const GIVE_REGION =
  "set serving.region in the runbook (for example region: eu-west-1), or AWS_REGION in rollbot's environment";

/** The region and credentials the default chain of the AWS SDK for JavaScript (v3) would not find. */
export function sagemakerCredentialProblems(
  config: Pick<SagemakerConfig, 'region'>,
  env: Environment,
  readFile: ReadFile,
): CredentialProblem[] {
  const files = sharedFiles(env, readFile);
  const problems: CredentialProblem[] = [];
  if (config.region === undefined && envValue(env, 'AWS_REGION') === undefined && !files.profile.region) {
    problems.push(
      // The SDK asks the instance for its region unless AWS_EC2_METADATA_DISABLED is set at all (even to false).
      envValue(env, 'AWS_EC2_METADATA_DISABLED') === undefined
        ? {
            level: 'note',
            missing:
              `no AWS region in serving.region, AWS_REGION or ${files.where}: the AWS SDK will ask the EC2 ` +
              "instance metadata service for the instance's region, which is not checked without a network call",
            fix: `unless this replica runs on EC2 in the endpoint's region, rollbacks through this serving layer fail: ${GIVE_REGION}`,
          }
        : {
            missing:
              `no AWS region: serving.region is not set, nor AWS_REGION, nor a region for ${files.where}, and ` +
              'AWS_EC2_METADATA_DISABLED turns off the instance metadata',
            fix: GIVE_REGION,
          },
    );
  } else if (config.region === undefined) {
    // The runbook's own region is checked when it loads; the one the SDK would take instead only here.
    const fromEnv = envValue(env, 'AWS_REGION');
    const region = fromEnv ?? files.profile.region;
    if (region !== undefined && !isAwsRegion(region)) {
      problems.push({
        missing: `${fromEnv === undefined ? `the region "${region}" of ${files.where}` : `AWS_REGION "${region}"`} is not an AWS region (the AWS SDK refuses it)`,
        fix: 'write a region like eu-west-1 there, or set serving.region in the runbook',
      });
    }
  }
  if (!hasCredentialSource(env) && !givesCredentials(files.profile)) {
    const skipped =
      keysInEnv(env) && envValue(env, 'AWS_PROFILE') !== undefined
        ? ' (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set, but skipped by the SDK while AWS_PROFILE is set)'
        : '';
    problems.push(
      instanceRoleTried(env)
        ? {
            level: 'note',
            missing:
              `no AWS credentials in the environment ${ENV_SOURCES} nor for ${files.where}${skipped}: the AWS SDK ` +
              'will ask the EC2 instance metadata service for an instance role, which is not checked without a ' +
              'network call',
            fix: `unless this replica runs on EC2 with an instance role ${IAM}, rollbacks through this serving layer fail: ${GIVE_CREDENTIALS}`,
          }
        : {
            missing:
              `no AWS credentials: none in the environment ${ENV_SOURCES} nor for ${files.where}${skipped}, and ` +
              'AWS_EC2_METADATA_DISABLED turns off the instance role',
            fix: GIVE_CREDENTIALS,
          },
    );
  }
  return problems;
}

function keysInEnv(env: Environment): boolean {
  return (
    envValue(env, 'AWS_ACCESS_KEY_ID') !== undefined && envValue(env, 'AWS_SECRET_ACCESS_KEY') !== undefined
  );
}

/**
 * The SDK's own variables, each a whole source of credentials as its default chain reads them. The keys are
 * skipped while AWS_PROFILE is set (the chain then reads that profile instead); AWS_PROFILE itself is no source,
 * only the name of the profile the shared files must hold.
 */
function hasCredentialSource(env: Environment): boolean {
  const set = (name: string) => envValue(env, name) !== undefined;
  return (
    (keysInEnv(env) && !set('AWS_PROFILE')) ||
    (set('AWS_WEB_IDENTITY_TOKEN_FILE') && set('AWS_ROLE_ARN')) ||
    set('AWS_CONTAINER_CREDENTIALS_FULL_URI') ||
    set('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI')
  );
}

/** Whether the profile holds what the SDK's shared-file providers resolve: keys, a role, SSO, a process, a login. */
function givesCredentials(profile: IniProfile): boolean {
  if (profile.aws_access_key_id !== undefined && profile.aws_secret_access_key !== undefined) return true;
  return ['role_arn', 'credential_process', 'sso_session', 'sso_start_url', 'login_session'].some(
    (key) => profile[key] !== undefined,
  );
}

/**
 * The profile in use (AWS_PROFILE, else `default`) as the SDK merges it from the credentials file (`[name]`) and
 * the config file (`[profile name]`, or `[default]`), each where AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE
 * point or else in ~/.aws; and where it was looked for, for messages.
 */
function sharedFiles(env: Environment, readFile: ReadFile): { profile: IniProfile; where: string } {
  const name = envValue(env, 'AWS_PROFILE') ?? 'default';
  const home = envValue(env, 'HOME');
  const inHome = (...parts: string[]) => (home === undefined ? undefined : join(home, ...parts));
  // The SDK expands a leading `~/` of these two variables itself (no shell does it in a pod's manifest).
  const given = (name: string) => {
    const path = envValue(env, name);
    return path?.startsWith('~/') ? inHome(path.slice(2)) : path;
  };
  const credentialsPath = given('AWS_SHARED_CREDENTIALS_FILE') ?? inHome('.aws', 'credentials');
  const configPath = given('AWS_CONFIG_FILE') ?? inHome('.aws', 'config');
  const read = (path: string | undefined): string => {
    if (path === undefined) return '';
    try {
      const data = readFile(path);
      return typeof data === 'string' ? data : data.toString('utf8');
    } catch {
      return '';
    }
  };
  const paths = [credentialsPath, configPath].filter((path) => path !== undefined);
  return {
    // The credentials file wins where both set a key, as in the SDK's region lookup.
    profile: {
      ...profileIn(read(configPath), name, 'config'),
      ...profileIn(read(credentialsPath), name, 'credentials'),
    },
    where:
      paths.length === 0
        ? `profile "${name}" in the shared files (HOME, AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE are not set)`
        : `profile "${name}" in ${paths.join(' or ')}`,
  };
}

/**
 * Whether the SDK would still ask the EC2 instance metadata service for credentials: it does unless
 * AWS_EC2_METADATA_DISABLED is set to anything but `false`, or container credentials are set (which are a source
 * of their own, found above).
 */
function instanceRoleTried(env: Environment): boolean {
  const disabled = envValue(env, 'AWS_EC2_METADATA_DISABLED');
  return disabled === undefined || disabled === 'false';
}
