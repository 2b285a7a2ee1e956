import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRollbotError, type RollbotError } from '../../../src/core/errors.js';
import { loadKubeConnection, SERVICE_ACCOUNT_DIR } from '../../../src/serving/k8s/connection.js';

const IN_CLUSTER = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** A readFile over an in-memory file map; missing files fail like fs does. */
function fakeFiles(files: Record<string, string>) {
  return (path: string): string => {
    const content = files[path];
    if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return content;
  };
}

function invalidConfig(load: () => unknown): RollbotError {
  try {
    load();
  } catch (error) {
    expect(isRollbotError(error, 'INVALID_CONFIG')).toBe(true);
    return error as RollbotError;
  }
  return expect.unreachable('expected an INVALID_CONFIG error');
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('loadKubeConnection: in cluster', () => {
  it('uses the service-account token and CA at the service host', () => {
    const readFile = fakeFiles({
      [`${SERVICE_ACCOUNT_DIR}/token`]: 'sa-token\n',
      [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: CA_PEM,
    });
    expect(loadKubeConnection(IN_CLUSTER, readFile)).toStrictEqual({
      server: 'https://10.96.0.1:443',
      token: 'sa-token',
      tls: { ca: CA_PEM },
    });
  });

  it('reads the token again on every call, so that a rotated projected token is used', () => {
    const files = { [`${SERVICE_ACCOUNT_DIR}/token`]: 'first', [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: CA_PEM };
    const readFile = fakeFiles(files);
    expect(loadKubeConnection(IN_CLUSTER, readFile).token).toBe('first');
    files[`${SERVICE_ACCOUNT_DIR}/token`] = 'rotated';
    expect(loadKubeConnection(IN_CLUSTER, readFile).token).toBe('rotated');
  });

  it('brackets an IPv6 service host', () => {
    const readFile = fakeFiles({
      [`${SERVICE_ACCOUNT_DIR}/token`]: 't',
      [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: CA_PEM,
    });
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    expect(loadKubeConnection(env, readFile).server).toBe('https://[fd00::1]:443');
  });

  it('refuses a mounted token without the cluster CA, naming the file', () => {
    const error = invalidConfig(() =>
      loadKubeConnection(IN_CLUSTER, fakeFiles({ [`${SERVICE_ACCOUNT_DIR}/token`]: 't' })),
    );
    expect(error.message).toContain(`${SERVICE_ACCOUNT_DIR}/ca.crt`);
  });

  it('says both what is missing in the pod and that no kubeconfig was found', () => {
    const error = invalidConfig(() => loadKubeConnection(IN_CLUSTER, fakeFiles({})));
    expect(error.message).toContain(`${SERVICE_ACCOUNT_DIR}/token`);
    expect(error.message).toContain('neither KUBECONFIG nor HOME is set');
    expect(error.hint).toBe('set KUBECONFIG or run rollbot in a pod with a service account');
  });
});

describe('loadKubeConnection: kubeconfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollbot-kubeconfig-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function kubeconfig(
    user: string,
    cluster = `server: https://k8s.example:6443\n    certificate-authority-data: ${b64(CA_PEM)}`,
  ) {
    const file = join(dir, 'config');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
current-context: prod
contexts:
- name: staging
  context: {cluster: other, user: other}
- name: prod
  context: {cluster: prod-cluster, user: rollbot}
clusters:
- name: prod-cluster
  cluster:
    ${cluster}
users:
- name: rollbot
  user:
${user}
`,
    );
    return file;
  }

  it('uses the current context: server, inline CA and token', () => {
    const file = kubeconfig('    token: kc-token');
    expect(loadKubeConnection({ KUBECONFIG: `${file}:/ignored/second` })).toStrictEqual({
      server: 'https://k8s.example:6443',
      token: 'kc-token',
      tls: { ca: Buffer.from(CA_PEM) },
    });
  });

  it('prefers the service account when running in a pod', () => {
    const file = kubeconfig('    token: kc-token');
    const readFile = fakeFiles({
      [`${SERVICE_ACCOUNT_DIR}/token`]: 'sa',
      [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: CA_PEM,
    });
    expect(loadKubeConnection({ ...IN_CLUSTER, KUBECONFIG: file }, readFile).token).toBe('sa');
  });

  it('takes a blank KUBECONFIG as unset, as every variable is, and falls back to $HOME/.kube/config', () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(
      join(dir, '.kube', 'config'),
      'current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: "https://home:6443"}}]\n',
    );
    expect(loadKubeConnection({ KUBECONFIG: '  ', HOME: dir }).server).toBe('https://home:6443');
  });

  it('takes a blank KUBERNETES_SERVICE_HOST as unset: not in a cluster, whatever files are there', () => {
    const file = kubeconfig('    token: kc-token');
    const readFile = fakeFiles({
      [`${SERVICE_ACCOUNT_DIR}/token`]: 'sa',
      [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: CA_PEM,
      [file]: readFileSync(file, 'utf8'),
    });
    const env = { KUBERNETES_SERVICE_HOST: ' ', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: file };
    expect(loadKubeConnection(env, readFile).token).toBe('kc-token');
  });

  it('falls back to $HOME/.kube/config', () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(
      join(dir, '.kube', 'config'),
      'current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: "https://home:6443"}}]\n',
    );
    expect(loadKubeConnection({ HOME: dir })).toStrictEqual({ server: 'https://home:6443', tls: {} });
  });

  it('reads certificate, key and token files relative to the kubeconfig, token on every call', () => {
    writeFileSync(join(dir, 'ca.crt'), CA_PEM);
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const file = kubeconfig(
      '    client-certificate: client.crt\n    client-key: client.key\n    tokenFile: token',
      'server: https://k8s.example:6443\n    certificate-authority: ca.crt',
    );
    const connection = loadKubeConnection({ KUBECONFIG: file });
    expect(connection.token).toBe('file-token');
    expect(connection.tls).toStrictEqual({
      ca: Buffer.from(CA_PEM),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
    });
    writeFileSync(join(dir, 'token'), 'rotated');
    expect(loadKubeConnection({ KUBECONFIG: file }).token).toBe('rotated');
  });

  it('takes inline client certificates and insecure-skip-tls-verify', () => {
    const file = kubeconfig(
      `    client-certificate-data: ${b64('CERT')}\n    client-key-data: ${b64('KEY')}`,
      'server: https://k8s.example:6443\n    insecure-skip-tls-verify: true',
    );
    expect(loadKubeConnection({ KUBECONFIG: file })).toStrictEqual({
      server: 'https://k8s.example:6443',
      tls: { rejectUnauthorized: false, cert: Buffer.from('CERT'), key: Buffer.from('KEY') },
    });
  });

  it('names the file when it cannot be read', () => {
    const missing = join(dir, 'nope');
    const error = invalidConfig(() => loadKubeConnection({ KUBECONFIG: missing }));
    expect(error.message).toContain(`cannot read kubeconfig ${missing}`);
    expect(error.hint).toContain('set KUBECONFIG');
  });

  it('names a missing field', () => {
    const file = kubeconfig('    token: t', 'certificate-authority-data: abc');
    const error = invalidConfig(() => loadKubeConnection({ KUBECONFIG: file }));
    expect(error.message).toBe(
      `kubeconfig ${file}: clusters.0.cluster.server: Invalid input: expected string, received undefined`,
    );
  });

  it('names a current-context that is not defined', () => {
    const file = join(dir, 'config');
    writeFileSync(file, 'current-context: gone\ncontexts: []\nclusters: []\n');
    const error = invalidConfig(() => loadKubeConnection({ KUBECONFIG: file }));
    expect(error.message).toBe(`kubeconfig ${file}: current-context "gone" is not in contexts`);
    expect(error.hint).toContain('kubectl config use-context');
  });

  it('refuses exec credentials, which rollbot does not run', () => {
    const file = kubeconfig('    exec: {command: aws, args: [eks, get-token]}');
    const error = invalidConfig(() => loadKubeConnection({ KUBECONFIG: file }));
    expect(error.message).toContain('exec or auth-provider');
    expect(error.hint).toContain('service-account token');
  });

  it('refuses a certificate without its key', () => {
    const file = kubeconfig(`    client-certificate-data: ${b64('CERT')}`);
    expect(invalidConfig(() => loadKubeConnection({ KUBECONFIG: file })).hint).toContain('client-key');
  });
});

describe('loadKubeConnection: a kubeconfig that is not YAML', () => {
  it('says where, without quoting the line, which may hold the token', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBhcnQ';
    const broken = [
      'apiVersion: v1',
      'current-context: prod',
      'users:',
      '- name: bot',
      '  user:',
      `    token: ${token}`,
      '     extra: [indent',
      '',
    ].join('\n');
    const error = invalidConfig(() =>
      loadKubeConnection(
        { KUBECONFIG: '/home/bot/.kube/config' },
        fakeFiles({ '/home/bot/.kube/config': broken }),
      ),
    );
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain('c2VjcmV0');
    expect(error.message).toMatch(
      /^kubeconfig \/home\/bot\/\.kube\/config: not YAML at line 6, column \d+: /,
    );
  });
});
