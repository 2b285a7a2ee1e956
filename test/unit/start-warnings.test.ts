/**
 * A serving layer that reads a variable the bot's environment does not set fails at its first rollback: the
 * operator must hear it when the bot starts, not at 2am. `rollbot validate` warns of the same variables.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunbookSet } from '../../src/engine/runbook-set.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import type { Runbook } from '../../src/runbooks/schema.js';
import {
  alertRoutesWarning,
  apiWarning,
  compositionNotes,
  compositionWarnings,
  unsetVariables,
} from '../../src/start-warnings.js';
import { SERVICE_ACCOUNT_DIR } from '../../src/serving/k8s/connection.js';
import { runbookYaml } from '../helpers/engine.js';

const HTTP_SERVING = [
  'serving:',
  '  adapter: http',
  '  env: [ROUTER_TOKEN]',
  '  rollback: { method: POST, url: "https://router.example.com/switch", headers: { authorization: "Bearer {{env.ROUTER_TOKEN}}" }, body: { to: "{{to}}" } }',
].join('\n');

function httpRunbook(model: string): Runbook {
  const yaml = runbookYaml(model).replace(/^serving:.*$/m, HTTP_SERVING);
  const result = parseRunbook(yaml, `${model}.yml`);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.runbook;
}

const STORE = { redisUrl: 'redis://127.0.0.1:6379' };

describe('the warnings of a starting bot', () => {
  it('name each serving variable that is unset, with the model and field that need it', () => {
    const runbooks = new RunbookSet([httpRunbook('fraud-scorer')]);
    expect(compositionWarnings(STORE, runbooks, undefined, {})).toEqual([
      'fraud-scorer: serving.env needs ROUTER_TOKEN, which is not set: rollbacks through this serving layer fail ' +
        'without it. Set ROUTER_TOKEN on every replica.',
    ]);
  });

  it('name a drill schedule of six fields, whose first node-cron reads as seconds: one `*` too many shifts every field', () => {
    const drilled = (schedule: string) =>
      parseRunbook(
        runbookYaml('fraud-scorer', `drill: { schedule: "${schedule}", dryRun: true }`),
        'fraud-scorer.yml',
      );
    const typo = drilled('0 10 15 1,4,7,10 * *');
    if (!typo.ok) throw new Error('the runbook does not load');
    expect(
      compositionWarnings(STORE, new RunbookSet([typo.runbook]), undefined, {}, { credentials: false }),
    ).toEqual([
      'fraud-scorer: drill.schedule "0 10 15 1,4,7,10 * *" has six fields, and the first is read as seconds: it drills at second 0, minute 10, hour 15, day of month 1,4,7,10, month *, day of week *. For minute hour day-of-month month day-of-week, write five fields (quarterly: "0 10 15 1,4,7,10 *").',
    ]);
    const five = drilled('0 10 15 1,4,7,10 *');
    if (!five.ok) throw new Error('the runbook does not load');
    expect(
      compositionWarnings(STORE, new RunbookSet([five.runbook]), undefined, {}, { credentials: false }),
    ).toEqual([]);
  });

  it('say nothing of it once it is set', () => {
    const runbooks = new RunbookSet([httpRunbook('fraud-scorer')]);
    expect(compositionWarnings(STORE, runbooks, undefined, { ROUTER_TOKEN: 's3cret' })).toEqual([]);
  });

  it.each([[''], ['  ']])(
    'take a serving variable set to %j as unset, as the serving layer does',
    (blank) => {
      const runbooks = new RunbookSet([httpRunbook('fraud-scorer')]);
      expect(compositionWarnings(STORE, runbooks, undefined, { ROUTER_TOKEN: blank })).toEqual([
        'fraud-scorer: serving.env needs ROUTER_TOKEN, which is empty: rollbacks through this serving layer fail ' +
          'without it. Set ROUTER_TOKEN on every replica.',
      ]);
    },
  );
});

describe('the unset variables of runbooks', () => {
  it('say what each is for where the entry is made, so that start-up picks the serving ones by kind', () => {
    const yaml = runbookYaml(
      'fraud-scorer',
      [
        'paging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY }',
        'triage: { checks: [{ name: errors, kind: error, query: "sum(x)", max: 0.1 }] }',
        'drill: { schedule: quarterly, serving: { adapter: mlflow, trackingUri: "https://mlflow.example.com", registeredModel: m, tokenEnv: MLFLOW_TOKEN } }',
      ].join('\n'),
    ).replace(/^serving:.*$/m, HTTP_SERVING);
    const parsed = parseRunbook(yaml, 'fraud-scorer.yml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const entries = unsetVariables([parsed.runbook], {}).map(({ kind, field, name }) => ({
      kind,
      field,
      name,
    }));
    expect(entries).toEqual([
      { kind: 'paging', field: 'paging.routingKeyEnv', name: 'FRAUD_PD_KEY' },
      { kind: 'metrics', field: 'triage.checks', name: 'PROMETHEUS_URL' },
      { kind: 'serving', field: 'serving.env', name: 'ROUTER_TOKEN' },
      { kind: 'serving', field: 'drill.serving.tokenEnv', name: 'MLFLOW_TOKEN' },
    ]);
  });
});

/** A readFile over an in-memory file map; missing files fail like fs does. */
function fakeFiles(files: Record<string, string>) {
  return (path: string): string => {
    const content = files[path];
    if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return content;
  };
}

function runbookServedBy(model: string, serving: string, extra = ''): Runbook {
  const result = parseRunbook(runbookYaml(model, extra).replace(/^serving:.*$/m, serving), `${model}.yml`);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.runbook;
}

const IN_CLUSTER = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
const MOUNTED = fakeFiles({
  [`${SERVICE_ACCOUNT_DIR}/token`]: 'sa',
  [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: 'ca',
});
const KSERVE = 'serving: { adapter: kserve, namespace: ml-prod, name: fraud-scorer }';
const SAGEMAKER = 'serving: { adapter: sagemaker, endpoint: search-ranker-prod }';

describe('the warnings of a starting bot: what the serving layers need from the platform', () => {
  it('name a model on Kubernetes when the pod has no service account token and there is no kubeconfig', () => {
    const runbooks = new RunbookSet([
      runbookServedBy(
        'fraud-scorer',
        KSERVE,
        'drill: { schedule: quarterly, serving: { adapter: kserve, namespace: ml-staging, name: fraud-scorer } }',
      ),
      runbookServedBy(
        'churn-predictor',
        'serving: { adapter: argo-rollouts, namespace: ml-prod, name: churn-predictor }',
      ),
    ]);
    const warnings = compositionWarnings(STORE, runbooks, undefined, IN_CLUSTER, { readFile: fakeFiles({}) });
    const missing =
      `no Kubernetes credentials: KUBERNETES_SERVICE_HOST is set but ${SERVICE_ACCOUNT_DIR}/token cannot be read ` +
      `(ENOENT: no such file or directory, open '${SERVICE_ACCOUNT_DIR}/token'), and neither KUBECONFIG nor HOME is set`;
    expect(warnings).toEqual([
      `fraud-scorer: serving, drill.serving (kserve): ${missing}. Rollbacks and drills through this serving layer fail on ` +
        'this replica: set KUBECONFIG or run rollbot in a pod with a service account.',
      `churn-predictor: serving (argo-rollouts): ${missing}. Rollbacks through this serving layer fail on ` +
        'this replica: set KUBECONFIG or run rollbot in a pod with a service account.',
    ]);
  });

  it('say that drills fail, not rollbacks, when only the drill target lacks what it needs', () => {
    const runbooks = new RunbookSet([
      runbookServedBy(
        'fraud-scorer',
        'serving: { adapter: http, rollback: { method: POST, url: "http://router.internal/rollback" } }',
        'drill: { schedule: quarterly, serving: { adapter: kserve, namespace: ml-staging, name: fraud-scorer } }',
      ),
    ]);
    const warnings = compositionWarnings(STORE, runbooks, undefined, IN_CLUSTER, { readFile: fakeFiles({}) });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^fraud-scorer: drill\.serving \(kserve\): no Kubernetes credentials: .*\. Drills through this serving layer fail on this replica: /,
      ),
    ]);
  });

  it('say nothing of Kubernetes in a pod with its service account mounted', () => {
    const runbooks = new RunbookSet([runbookServedBy('fraud-scorer', KSERVE)]);
    expect(compositionWarnings(STORE, runbooks, undefined, IN_CLUSTER, { readFile: MOUNTED })).toEqual([]);
  });

  it('name a SageMaker model without an AWS region or credentials, and how to give them', () => {
    const runbooks = new RunbookSet([runbookServedBy('search-ranker', SAGEMAKER)]);
    const env = { AWS_EC2_METADATA_DISABLED: 'true' };
    const warnings = compositionWarnings(STORE, runbooks, undefined, env, { readFile: fakeFiles({}) });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^search-ranker: serving \(sagemaker\): no AWS region: serving.region is not set, nor AWS_REGION, nor a region for profile "default" .*, and AWS_EC2_METADATA_DISABLED turns off the instance metadata\. Rollbacks through this serving layer fail on this replica: set serving.region in the runbook/,
    );
    expect(warnings[1]).toMatch(
      /^search-ranker: serving \(sagemaker\): no AWS credentials: none in the environment \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, .*: give rollbot's pod an IAM role/,
    );
    expect(compositionNotes(runbooks, env, { readFile: fakeFiles({}) })).toEqual([]);
  });

  it('leave an EC2 instance role to be tried: a note of what was looked for, not a warning that it is missing', () => {
    const runbooks = new RunbookSet([runbookServedBy('search-ranker', SAGEMAKER)]);
    const env = { AWS_REGION: 'eu-west-1', HOME: '/home/rollbot' };
    const platform = { readFile: fakeFiles({}) };
    expect(compositionWarnings(STORE, runbooks, undefined, env, platform)).toEqual([]);
    expect(compositionNotes(runbooks, env, platform)).toEqual([
      'search-ranker: serving (sagemaker): no AWS credentials in the environment (AWS_ACCESS_KEY_ID and ' +
        'AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_FULL_URI ' +
        'or _RELATIVE_URI) nor for profile "default" in /home/rollbot/.aws/credentials or /home/rollbot/.aws/config: ' +
        'the AWS SDK will ask the EC2 instance metadata service for an instance role, which is not checked ' +
        'without a network call; unless this replica runs on EC2 with an instance role allowed the sagemaker ' +
        "actions of runbooks/README.md, rollbacks through this serving layer fail: give rollbot's pod an IAM " +
        'role (EKS: IRSA or Pod Identity, which set these variables), or set AWS_ACCESS_KEY_ID and ' +
        'AWS_SECRET_ACCESS_KEY, allowed the sagemaker actions of runbooks/README.md.',
    ]);
  });

  it('name a Vertex model whose GOOGLE_APPLICATION_CREDENTIALS file cannot be read, and how to fix it', () => {
    const vertex = 'serving: { adapter: vertex, project: ml-prod, location: us-central1, endpoint: "123" }';
    const runbooks = new RunbookSet([runbookServedBy('ranker', vertex)]);
    const env = { GOOGLE_APPLICATION_CREDENTIALS: '/secrets/key.json' };
    const platform = { readFile: fakeFiles({ '/secrets/key.json': '{"type": "external_account"}' }) };
    expect(compositionWarnings(STORE, runbooks, undefined, env, platform)).toEqual([
      'ranker: serving (vertex): no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is set to ' +
        '/secrets/key.json, which is of type "external_account": rollbot reads only "service_account" and ' +
        '"authorized_user" files. Rollbacks through this serving layer fail on this replica: point ' +
        'GOOGLE_APPLICATION_CREDENTIALS at a service account key file (JSON, "type": "service_account") readable ' +
        "by rollbot, or unset it to use the metadata server's service account (GKE Workload Identity, GCE).",
    ]);
    expect(compositionNotes(runbooks, {}, platform)).toEqual([
      expect.stringMatching(
        /^ranker: serving \(vertex\): GOOGLE_APPLICATION_CREDENTIALS is not set: rollbot will ask the metadata server \(metadata.google.internal\)/,
      ),
    ]);
  });

  it('count the shared files only when they hold the profile in use', () => {
    const runbooks = new RunbookSet([runbookServedBy('search-ranker', SAGEMAKER)]);
    const env = { AWS_REGION: 'eu-west-1', HOME: '/home/rollbot', AWS_EC2_METADATA_DISABLED: 'true' };
    const files = fakeFiles({
      '/home/rollbot/.aws/credentials': '[staging]\naws_access_key_id = A\naws_secret_access_key = s\n',
    });
    expect(compositionWarnings(STORE, runbooks, undefined, env, { readFile: files })).toEqual([
      expect.stringMatching(
        /^search-ranker: serving \(sagemaker\): no AWS credentials: .* nor for profile "default" in /,
      ),
    ]);
    expect(
      compositionWarnings(
        STORE,
        runbooks,
        undefined,
        { ...env, AWS_PROFILE: 'staging' },
        { readFile: files },
      ),
    ).toEqual([]);
  });

  it.each([
    [
      'IRSA',
      { AWS_REGION: 'eu-west-1', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r', AWS_WEB_IDENTITY_TOKEN_FILE: '/t' },
      {},
    ],
    [
      'Pod Identity',
      { AWS_REGION: 'eu-west-1', AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials' },
      {},
    ],
    ['keys', { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, {}],
    [
      'the shared files',
      { HOME: '/home/rollbot' },
      {
        '/home/rollbot/.aws/config': '[default]\nregion = eu-west-1\n',
        '/home/rollbot/.aws/credentials': '[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n',
      },
    ],
  ])('say nothing of SageMaker with a region and credentials from %s', (_source, env, files) => {
    const runbooks = new RunbookSet([runbookServedBy('search-ranker', SAGEMAKER)]);
    expect(compositionWarnings(STORE, runbooks, undefined, env, { readFile: fakeFiles(files) })).toEqual([]);
  });

  it("take the runbook's region, and blank AWS variables as unset", () => {
    const runbooks = new RunbookSet([
      runbookServedBy(
        'search-ranker',
        'serving: { adapter: sagemaker, endpoint: search-ranker-prod, region: eu-west-1 }',
      ),
    ]);
    const env = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: ' ', AWS_EC2_METADATA_DISABLED: 'true' };
    const warnings = compositionWarnings(STORE, runbooks, undefined, env, { readFile: fakeFiles({}) });
    expect(warnings).toEqual([
      expect.stringMatching(/^search-ranker: serving \(sagemaker\): no AWS credentials: /),
    ]);
  });

  it('check nothing of the platform when the serving layers are not the real ones (tests, the demo)', () => {
    const runbooks = new RunbookSet([
      runbookServedBy('fraud-scorer', KSERVE),
      runbookServedBy('search-ranker', SAGEMAKER),
    ]);
    expect(
      compositionWarnings(STORE, runbooks, undefined, {}, { credentials: false, readFile: fakeFiles({}) }),
    ).toEqual([]);
  });
});

describe('PROMETHEUS_URL among the unset variables', () => {
  it('is named for a runbook that has only confirmation checks, which nothing else could measure', () => {
    const yaml = runbookYaml(
      'fraud-scorer',
      [
        'triage: { checks: [] }',
        'confirm: { checks: [{ name: errors, kind: error, query: "sum(x)", max: 0.1 }] }',
      ].join('\n'),
    );
    const parsed = parseRunbook(yaml, 'fraud-scorer.yml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.runbook.triage.checks).toEqual([]);
    const entries = unsetVariables([parsed.runbook], {}).filter(({ kind }) => kind === 'metrics');
    expect(entries.map(({ field, name }) => ({ field, name }))).toEqual([
      { field: 'confirm.checks', name: 'PROMETHEUS_URL' },
    ]);
    const warnings = compositionWarnings(STORE, new RunbookSet([parsed.runbook]), undefined, {});
    expect(warnings.some((warning) => warning.startsWith('PROMETHEUS_URL is not set'))).toBe(true);
  });
});

describe('the warnings of a starting bot: the programs of a command serving layer', () => {
  let bin: string;
  beforeEach(async () => {
    bin = await mkdtemp(join(tmpdir(), 'rollbot-bin-'));
  });
  afterEach(async () => {
    await rm(bin, { recursive: true, force: true });
  });

  const commandRunbook = (argv: string, extra = '') =>
    runbookServedBy('fraud-scorer', `serving: { adapter: command, argv: ${argv}${extra} }`);

  it('name a program that is not on the PATH the command would get, with the PATH searched and the fix', () => {
    const runbooks = new RunbookSet([
      commandRunbook(
        '[rollbot-no-such-tool, rollback, "{{to}}"]',
        ', statusArgv: [rollbot-no-such-tool, status]',
      ),
    ]);
    expect(compositionWarnings(STORE, runbooks, undefined, { PATH: `${bin}:` })).toEqual([
      `fraud-scorer: serving (command): argv[0] and statusArgv[0] "rollbot-no-such-tool" is not an executable ` +
        `file in any directory of PATH=${bin}. Rollbacks through this serving layer fail on this replica: install ` +
        "rollbot-no-such-tool where rollbot runs (its image), add its directory to rollbot's PATH, or give its " +
        'absolute path in the runbook.',
    ]);
  });

  it('say nothing of a program found there, and do not count a file that cannot be run', async () => {
    await writeFile(join(bin, 'helm'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(join(bin, 'kubectl'), 'not a program\n', { mode: 0o644 });
    const found = new RunbookSet([commandRunbook('[helm, rollback, "{{to}}"]')]);
    expect(compositionWarnings(STORE, found, undefined, { PATH: bin })).toEqual([]);
    const notRunnable = new RunbookSet([commandRunbook('[kubectl, rollout, undo]')]);
    expect(compositionWarnings(STORE, notRunnable, undefined, { PATH: bin })).toEqual([
      expect.stringContaining(`argv[0] "kubectl" is not an executable file in any directory of PATH=${bin}.`),
    ]);
  });

  it('look at a program named by its path where it is, relative to cwd', async () => {
    await writeFile(join(bin, 'deploy.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const relative = new RunbookSet([commandRunbook('[./deploy.sh, "{{to}}"]', `, cwd: ${bin}`)]);
    expect(compositionWarnings(STORE, relative, undefined, { PATH: '/nonexistent' })).toEqual([]);
    const absent = new RunbookSet([commandRunbook(`[${bin}/rollback.sh, "{{to}}"]`)]);
    expect(compositionWarnings(STORE, absent, undefined, {})).toEqual([
      `fraud-scorer: serving (command): argv[0] "${bin}/rollback.sh" is not an executable file. Rollbacks through ` +
        'this serving layer fail on this replica: fix argv[0] in the runbook, or install the program there.',
    ]);
  });
});

describe('the warning about the alert routes', () => {
  const url = 'http://127.0.0.1:3000';

  it('says the routes refuse everything without a token or ALLOW_UNAUTHENTICATED_ALERTS', () => {
    expect(alertRoutesWarning({ alerts: { token: undefined, allowUnauthenticated: false } }, url)).toBe(
      'alert routes are closed: set ALERT_WEBHOOK_TOKEN (or ALLOW_UNAUTHENTICATED_ALERTS=true locally)',
    );
  });

  it("says the routes take anyone's alerts with ALLOW_UNAUTHENTICATED_ALERTS=true and no token", () => {
    // Left on from a local trial, with HOST=0.0.0.0 in a pod: whoever reaches the port opens incidents and pages.
    expect(
      alertRoutesWarning({ alerts: { token: undefined, allowUnauthenticated: true } }, 'http://0.0.0.0:8080'),
    ).toBe(
      'alert routes take alerts without a token (ALLOW_UNAUTHENTICATED_ALERTS=true): whoever reaches http://0.0.0.0:8080 ' +
        'can open incidents and page the on-call; for local use only: elsewhere set ALERT_WEBHOOK_TOKEN and unset ' +
        'ALLOW_UNAUTHENTICATED_ALERTS',
    );
  });

  it('says nothing with a token, which is required whatever ALLOW_UNAUTHENTICATED_ALERTS says', () => {
    for (const allowUnauthenticated of [false, true]) {
      expect(alertRoutesWarning({ alerts: { token: 'tok', allowUnauthenticated } }, url)).toBeUndefined();
    }
  });
});

describe('the warning about the API', () => {
  it('says that without API_TOKEN the API takes no writes and anyone who reaches it reads incidents', () => {
    expect(apiWarning({ apiToken: undefined }, 'http://127.0.0.1:3000')).toBe(
      'API_TOKEN is not set: the API at http://127.0.0.1:3000/api takes no writes (rollbacks, resolutions, ' +
        "deployments, the CLI's changes through ROLLBOT_URL are refused) and answers reads of incidents and " +
        'rollback dry runs to whoever reaches it; set API_TOKEN, and the same API_TOKEN where the CLI runs',
    );
  });

  it('says nothing with API_TOKEN set', () => {
    expect(apiWarning({ apiToken: 'api-t' }, 'http://127.0.0.1:3000')).toBeUndefined();
  });
});
