/**
 * What the SageMaker check finds, source by source of the AWS SDK's default chain (@aws-sdk/credential-provider-node):
 * the environment's keys (skipped while AWS_PROFILE is set), the profile in use in the shared files (keys, SSO, a
 * role, a process), web identity, container credentials, and last the EC2 instance metadata service, which only a
 * network call could ask: there the check says what it looked for and that an instance role will be tried (a
 * note, not a warning), and claims nothing is missing unless AWS_EC2_METADATA_DISABLED turns it off.
 */
import { describe, expect, it } from 'vitest';
import { sagemakerCredentialProblems } from '../../../src/serving/sagemaker/credentials.js';

/** A readFile over an in-memory file map; missing files fail like fs does. */
function fakeFiles(files: Record<string, string>) {
  return (path: string): string => {
    const content = files[path];
    if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return content;
  };
}

const REGION = { region: 'eu-west-1' };
const NO_IMDS = { AWS_EC2_METADATA_DISABLED: 'true' };
const HOME = { HOME: '/home/rollbot' };
const CREDENTIALS = '/home/rollbot/.aws/credentials';
const CONFIG = '/home/rollbot/.aws/config';
const KEYS = 'aws_access_key_id = AKIA\naws_secret_access_key = s\n';

/** The problems of a runbook with a region, by level. */
function check(
  env: Record<string, string>,
  files: Record<string, string> = {},
  config: { region?: string } = REGION,
) {
  const problems = sagemakerCredentialProblems(config, env, fakeFiles(files));
  return {
    warnings: problems.filter((problem) => problem.level !== 'note').map(({ missing }) => missing),
    notes: problems.filter((problem) => problem.level === 'note').map(({ missing }) => missing),
  };
}

describe('the SageMaker check: an EC2 instance role', () => {
  it('is not called missing when nothing else is there: it says what it looked for and that the role will be tried', () => {
    const problems = sagemakerCredentialProblems(REGION, HOME, fakeFiles({}));
    expect(problems).toEqual([
      {
        level: 'note',
        missing:
          'no AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
          'AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI) nor ' +
          `for profile "default" in ${CREDENTIALS} or ${CONFIG}: the AWS SDK will ask the EC2 instance metadata ` +
          'service for an instance role, which is not checked without a network call',
        fix: expect.stringMatching(
          /^unless this replica runs on EC2 with an instance role .*, rollbacks through this serving layer fail: give rollbot's pod an IAM role/,
        ),
      },
    ]);
  });

  it.each([['false'], ['']])('is tried with AWS_EC2_METADATA_DISABLED=%j, as the SDK does', (value) => {
    expect(check({ AWS_EC2_METADATA_DISABLED: value })).toEqual({
      warnings: [],
      notes: [expect.stringMatching(/^no AWS credentials in the environment/)],
    });
  });

  it('is not there with AWS_EC2_METADATA_DISABLED=true: then the credentials are missing, a warning', () => {
    expect(check({ ...HOME, ...NO_IMDS })).toEqual({
      warnings: [
        'no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
          'AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI) nor ' +
          `for profile "default" in ${CREDENTIALS} or ${CONFIG}, and AWS_EC2_METADATA_DISABLED turns off the ` +
          'instance role',
      ],
      notes: [],
    });
  });

  it('gives the region too, unless turned off: a missing region is a note, or a warning with IMDS off', () => {
    const keys = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' };
    expect(check(keys, {}, {})).toEqual({
      warnings: [],
      notes: [
        expect.stringMatching(
          /^no AWS region in serving.region, AWS_REGION or profile "default" .*: the AWS SDK will ask the EC2 instance metadata service/,
        ),
      ],
    });
    expect(check({ ...keys, ...NO_IMDS }, {}, {})).toEqual({
      warnings: [expect.stringMatching(/^no AWS region: serving.region is not set, nor AWS_REGION/)],
      notes: [],
    });
  });
});

describe('the SageMaker check: the environment', () => {
  it.each([
    ['keys', { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }],
    ['IRSA', { AWS_ROLE_ARN: 'arn:aws:iam::1:role/r', AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }],
    ['ECS container credentials', { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' }],
    ['EKS Pod Identity', { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials' }],
  ])('finds %s', (_source, env) => {
    expect(check({ ...env, ...NO_IMDS })).toEqual({ warnings: [], notes: [] });
  });

  it.each([
    ['half the keys', { AWS_ACCESS_KEY_ID: 'AKIA' }],
    ['a blank secret', { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: ' ' }],
    ['a token file without a role', { AWS_WEB_IDENTITY_TOKEN_FILE: '/t' }],
    ['AWS_PROFILE alone, whose profile no file holds', { AWS_PROFILE: 'prod' }],
  ])('does not take %s for credentials', (_source, env) => {
    expect(check({ ...env, ...NO_IMDS }).warnings).toEqual([expect.stringMatching(/^no AWS credentials: /)]);
  });

  it('does not count keys in the environment while AWS_PROFILE is set, which the SDK then skips', () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_PROFILE: 'prod',
      ...HOME,
      ...NO_IMDS,
    };
    expect(check(env).warnings).toEqual([
      expect.stringContaining(
        '(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set, but skipped by the SDK while AWS_PROFILE is set)',
      ),
    ]);
    expect(check(env, { [CREDENTIALS]: `[prod]\n${KEYS}` }).warnings).toEqual([]);
  });
});

describe('the SageMaker check: the shared files hold the profile in use', () => {
  it.each([
    ['[default] in the credentials file', {}, { [CREDENTIALS]: `[default]\n${KEYS}` }],
    ['[default] in the config file', {}, { [CONFIG]: `[default]\n${KEYS}` }],
    ['[prod] in the credentials file', { AWS_PROFILE: 'prod' }, { [CREDENTIALS]: `[prod]\n${KEYS}` }],
    ['[profile prod] in the config file', { AWS_PROFILE: 'prod' }, { [CONFIG]: `[profile prod]\n${KEYS}` }],
    [
      'an SSO profile',
      { AWS_PROFILE: 'dev' },
      { [CONFIG]: '[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = ops\n' },
    ],
    [
      'a credential_process',
      {},
      { [CONFIG]: '[default]\ncredential_process = /usr/local/bin/creds --json\n' },
    ],
    [
      'a role to assume',
      { AWS_PROFILE: 'ops' },
      { [CONFIG]: '[profile ops]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n' },
    ],
    [
      'web identity in a profile',
      {},
      { [CONFIG]: '[default]\nrole_arn = arn:aws:iam::1:role/r\nweb_identity_token_file = /t\n' },
    ],
    [
      'files where AWS_SHARED_CREDENTIALS_FILE points',
      { AWS_SHARED_CREDENTIALS_FILE: '/etc/aws/creds' },
      { '/etc/aws/creds': `# rotated nightly\n[default]\n${KEYS}` },
    ],
    [
      'files where AWS_SHARED_CREDENTIALS_FILE points from the home directory, as the SDK expands ~/',
      { AWS_SHARED_CREDENTIALS_FILE: '~/secrets/aws' },
      { '/home/rollbot/secrets/aws': `[default]\n${KEYS}` },
    ],
    [
      'files where AWS_CONFIG_FILE points',
      { AWS_CONFIG_FILE: '/etc/aws/config', AWS_PROFILE: 'prod' },
      { '/etc/aws/config': `[profile prod]\n${KEYS}` },
    ],
  ])('finds %s', (_source, env, files) => {
    expect(check({ ...HOME, ...env, ...NO_IMDS }, files)).toEqual({ warnings: [], notes: [] });
  });

  it.each([
    ['another profile only', {}, { [CREDENTIALS]: `[ops]\n${KEYS}` }],
    [
      'the default profile, while AWS_PROFILE names another',
      { AWS_PROFILE: 'prod' },
      { [CREDENTIALS]: `[default]\n${KEYS}` },
    ],
    [
      '[prod] in the config file, which the SDK reads as [profile prod] only',
      { AWS_PROFILE: 'prod' },
      { [CONFIG]: `[prod]\n${KEYS}` },
    ],
    [
      '[profile prod] in the credentials file',
      { AWS_PROFILE: 'prod' },
      { [CREDENTIALS]: `[profile prod]\n${KEYS}` },
    ],
    [
      'a profile with only a region and an output format',
      {},
      { [CONFIG]: '[default]\nregion = eu-west-1\noutput = json\n' },
    ],
    [
      'keys commented out',
      {},
      { [CREDENTIALS]: '[default]\n# aws_access_key_id = AKIA\n; aws_secret_access_key = s\n' },
    ],
  ])('does not count a file with %s', (_source, env, files) => {
    const profile = 'AWS_PROFILE' in env ? 'prod' : 'default';
    expect(check({ ...HOME, ...env, ...NO_IMDS }, files).warnings).toEqual([
      expect.stringContaining(`nor for profile "${profile}" in ${CREDENTIALS} or ${CONFIG}`),
    ]);
  });

  it("takes the region of the profile in use, from either file, and not another profile's", () => {
    const keys = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', ...HOME, ...NO_IMDS };
    const regionOnly = (files: Record<string, string>, env = {}) =>
      check({ ...keys, ...env }, files, {}).warnings;
    expect(regionOnly({ [CONFIG]: '[default]\nregion = eu-west-1\n' })).toEqual([]);
    expect(regionOnly({ [CREDENTIALS]: `[default]\n${KEYS}region = eu-west-1\n` })).toEqual([]);
    expect(regionOnly({ [CONFIG]: '[profile prod]\nregion = eu-west-1\n' }, { AWS_PROFILE: 'prod' })).toEqual(
      [expect.stringContaining('(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set, but skipped')],
    );
    expect(regionOnly({ [CONFIG]: '[profile prod]\nregion = eu-west-1\n' })).toEqual([
      `no AWS region: serving.region is not set, nor AWS_REGION, nor a region for profile "default" in ${CREDENTIALS} ` +
        `or ${CONFIG}, and AWS_EC2_METADATA_DISABLED turns off the instance metadata`,
    ]);
  });
});

describe('the SageMaker check: a region the AWS SDK refuses', () => {
  // The runbook's serving.region is checked when it loads; the environment's and the profile's only here, before
  // the first rollback fails on "Region not accepted".
  it('warns of an AWS_REGION that is not an AWS region, when the runbook names none', () => {
    const env = { ...HOME, AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', AWS_REGION: 'eu west 1' };
    expect(check(env, {}, {}).warnings).toEqual([
      'AWS_REGION "eu west 1" is not an AWS region (the AWS SDK refuses it)',
    ]);
    expect(check(env, {}, REGION).warnings).toEqual([]);
  });

  it("warns of the profile's region likewise", () => {
    const env = { ...HOME, ...NO_IMDS };
    expect(
      check(env, { [CONFIG]: `[default]\nregion = eu_west_1\n`, [CREDENTIALS]: `[default]\n${KEYS}` }, {})
        .warnings,
    ).toEqual([
      `the region "eu_west_1" of profile "default" in ${CREDENTIALS} or ${CONFIG} is not an AWS region (the AWS SDK refuses it)`,
    ]);
  });
});
