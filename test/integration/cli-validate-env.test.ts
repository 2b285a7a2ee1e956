/**
 * `rollbot validate` warns of what the runbooks need from the environment by the bot's own rule: a variable set
 * to nothing or blanks (a Kubernetes Secret key left empty) is unset, as the serving layers and paging read it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { runbookDir } from '../helpers/bot-process.js';
import { capture } from '../helpers/cli.js';
import { runbookYaml } from '../helpers/engine.js';

const HTTP_SERVING = [
  'serving:',
  '  adapter: http',
  '  env: [ROUTER_TOKEN]',
  '  rollback: { method: POST, url: "https://router.example.com/switch", headers: { authorization: "Bearer {{env.ROUTER_TOKEN}}" }, body: { to: "{{to}}" } }',
].join('\n');

const MLFLOW_SERVING =
  'serving: { adapter: mlflow, trackingUri: "https://mlflow.example.com", registeredModel: m2, tokenEnv: MLFLOW_TOKEN }';

describe('rollbot validate: variables set to nothing', () => {
  it.each([[''], ['  '], ['\n']])('warns of serving variables set to %j as unset', async (blank) => {
    const dir = await runbookDir({
      'm1.yml': runbookYaml('m1').replace(/serving: .*\n/, `${HTTP_SERVING}\n`),
      'm2.yml': runbookYaml('m2').replace(/serving: .*\n/, `${MLFLOW_SERVING}\n`),
    });
    const { io, out, err } = capture();
    const env = { ROUTER_TOKEN: blank, MLFLOW_TOKEN: blank };
    expect(await runCli(['validate', dir], env, io)).toBe(0);
    expect(out).toEqual([`2 runbooks OK in ${dir}: m1, m2`]);
    expect(err).toEqual([
      `warning: ${dir}/m1.yml: serving.env: ROUTER_TOKEN is empty here: rollbacks through this serving layer fail without it`,
      `warning: ${dir}/m2.yml: serving.tokenEnv: MLFLOW_TOKEN is empty here: rollbacks through this serving layer fail without it`,
    ]);
  });
});

const KUBECONFIG_TEXT = [
  'current-context: c',
  'contexts: [{name: c, context: {cluster: k, user: u}}]',
  'clusters: [{name: k, cluster: {server: "https://k8s.example:6443"}}]',
  'users: [{name: u, user: {token: t0k}}]',
  '',
].join('\n');

describe('rollbot validate: what the serving layers need from the platform', () => {
  async function platformRunbooks() {
    return runbookDir({
      'm1.yml': runbookYaml('m1'),
      'm2.yml': runbookYaml('m2').replace(
        /serving: .*\n/,
        'serving: { adapter: argo-rollouts, namespace: ml-prod, name: m2 }\n',
      ),
      'm3.yml': runbookYaml('m3').replace(
        /serving: .*\n/,
        'serving: { adapter: sagemaker, endpoint: m3-prod }\n',
      ),
    });
  }

  it('warns, per model, of missing Kubernetes credentials and AWS region and credentials, and exits 0', async () => {
    const dir = await platformRunbooks();
    const { io, out, err } = capture();
    expect(await runCli(['validate', dir], { AWS_EC2_METADATA_DISABLED: 'true' }, io)).toBe(0);
    expect(out).toEqual([`3 runbooks OK in ${dir}: m1, m2, m3`]);
    const kube =
      'serving (kserve): no Kubernetes credentials: neither KUBECONFIG nor HOME is set: rollbacks through this serving ' +
      'layer would fail here (fix: set KUBECONFIG or run rollbot in a pod with a service account)';
    expect(err).toEqual([
      `warning: ${dir}/m1.yml: ${kube}`,
      `warning: ${dir}/m2.yml: ${kube.replace('(kserve)', '(argo-rollouts)')}`,
      expect.stringMatching(
        new RegExp(
          `^warning: ${dir}/m3.yml: serving \\(sagemaker\\): no AWS region: serving.region is not set, nor AWS_REGION, .*AWS_EC2_METADATA_DISABLED turns off the instance metadata: rollbacks through this serving layer would fail here \\(fix: set serving.region in the runbook`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^warning: ${dir}/m3.yml: serving \\(sagemaker\\): no AWS credentials: none in the environment .*\\(fix: give rollbot's pod an IAM role`,
        ),
      ),
    ]);
  });

  it('notes, without a warning, an AWS region and credentials left to the EC2 instance metadata', async () => {
    const dir = await runbookDir({
      'm3.yml': runbookYaml('m3').replace(
        /serving: .*\n/,
        'serving: { adapter: sagemaker, endpoint: m3-prod }\n',
      ),
    });
    const { io, err } = capture();
    expect(await runCli(['validate', dir], {}, io)).toBe(0);
    expect(err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^note: ${dir}/m3.yml: serving \\(sagemaker\\): no AWS region in serving.region, AWS_REGION or profile "default" .*: the AWS SDK will ask the EC2 instance metadata service .*; unless this replica runs on EC2 in the endpoint's region, rollbacks through this serving layer fail: set serving.region`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^note: ${dir}/m3.yml: serving \\(sagemaker\\): no AWS credentials in the environment .*: the AWS SDK will ask the EC2 instance metadata service for an instance role, .*; unless this replica runs on EC2 with an instance role`,
        ),
      ),
    ]);
  });

  it('warns of a GOOGLE_APPLICATION_CREDENTIALS file it cannot use, and notes the metadata server when unset', async () => {
    const dir = await runbookDir({
      'm4.yml': runbookYaml('m4').replace(
        /serving: .*\n/,
        'serving: { adapter: vertex, project: ml-prod, location: us-central1, endpoint: "123" }\n',
      ),
    });
    const keyFile = join(dir, 'key.json');
    await writeFile(keyFile, 'not json');
    const broken = capture();
    expect(await runCli(['validate', dir], { GOOGLE_APPLICATION_CREDENTIALS: keyFile }, broken.io)).toBe(0);
    expect(broken.err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warning: ${dir}/m4.yml: serving \\(vertex\\): no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is set to ${keyFile}, which is not JSON: .*\\(fix: point GOOGLE_APPLICATION_CREDENTIALS at a service account key file`,
        ),
      ),
    ]);
    const unset = capture();
    expect(await runCli(['validate', dir], {}, unset.io)).toBe(0);
    expect(unset.err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^note: ${dir}/m4.yml: serving \\(vertex\\): GOOGLE_APPLICATION_CREDENTIALS is not set: rollbot will ask the metadata server \\(metadata.google.internal\\)`,
        ),
      ),
    ]);
  });

  it('says nothing once a kubeconfig, an AWS region and AWS credentials are there', async () => {
    const dir = await platformRunbooks();
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, KUBECONFIG_TEXT);
    const env = {
      KUBECONFIG: kubeconfig,
      AWS_REGION: 'eu-west-1',
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/rollbot',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
    };
    const { io, err } = capture();
    expect(await runCli(['validate', dir], env, io)).toBe(0);
    expect(err).toEqual([]);
  });

  it('names a command program missing from the PATH the command would get, per runbook file and field', async () => {
    const dir = await runbookDir({
      'm4.yml': runbookYaml('m4').replace(
        /serving: .*\n/,
        'serving: { adapter: command, argv: [rollbot-no-such-tool, rollback, "{{to}}"], statusArgv: [sh, -c, "echo v1"] }\n',
      ),
    });
    const { io, err } = capture();
    expect(await runCli(['validate', dir], { PATH: '/usr/bin::/bin' }, io)).toBe(0);
    expect(err).toEqual([
      `warning: ${dir}/m4.yml: serving (command): argv[0] "rollbot-no-such-tool" is not an executable file in any ` +
        'directory of PATH=/usr/bin:/bin: rollbacks through this serving layer would fail here (fix: install ' +
        "rollbot-no-such-tool where rollbot runs (its image), add its directory to rollbot's PATH, or give its " +
        'absolute path in the runbook)',
    ]);
  });

  it('names what a kubeconfig lacks, as the adapter would refuse it', async () => {
    const dir = await runbookDir({ 'm1.yml': runbookYaml('m1') });
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, KUBECONFIG_TEXT.replace('current-context: c', 'current-context: prod'));
    const { io, err } = capture();
    expect(await runCli(['validate', dir], { KUBECONFIG: kubeconfig }, io)).toBe(0);
    expect(err).toEqual([
      `warning: ${dir}/m1.yml: serving (kserve): kubeconfig ${kubeconfig}: current-context "prod" is not in contexts: ` +
        'rollbacks through this serving layer would fail here (fix: run `kubectl config use-context <name>` with one of the listed contexts)',
    ]);
  });
});
