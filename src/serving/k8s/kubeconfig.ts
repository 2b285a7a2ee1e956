import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { LineCounter, parse, YAMLError } from 'yaml';
import { z } from 'zod';
import { RollbotError } from '../../core/errors.js';
import { envValue, type Environment } from '../../env.js';
import type { TlsOptions } from '../request.js';
import type { KubeConnection, ReadFile } from './types.js';

const cluster = z.looseObject({
  server: z.string().min(1),
  'certificate-authority-data': z.string().optional(),
  'certificate-authority': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
});

const user = z.looseObject({
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  'client-certificate-data': z.string().optional(),
  'client-certificate': z.string().optional(),
  'client-key-data': z.string().optional(),
  'client-key': z.string().optional(),
  exec: z.unknown().optional(),
  'auth-provider': z.unknown().optional(),
});

const kubeconfig = z.looseObject({
  'current-context': z.string().min(1, 'is empty'),
  contexts: z.array(
    z.looseObject({
      name: z.string(),
      context: z.looseObject({ cluster: z.string(), user: z.string().optional() }),
    }),
  ),
  clusters: z.array(z.looseObject({ name: z.string(), cluster })),
  users: z.array(z.looseObject({ name: z.string(), user })).nullish(),
});

/** The kubeconfig to read: the first path of `KUBECONFIG` (as kubectl), else `$HOME/.kube/config`. */
export function kubeconfigPath(env: Environment): string | undefined {
  const first = envValue(env, 'KUBECONFIG')
    ?.split(delimiter)
    .find((path) => path.trim() !== '');
  if (first !== undefined) return first;
  const home = envValue(env, 'HOME');
  return home === undefined ? undefined : join(home, '.kube', 'config');
}

/**
 * The connection for the kubeconfig's current context. Relative certificate and token paths are resolved
 * against the kubeconfig's folder, as kubectl does.
 *
 * @throws RollbotError `INVALID_CONFIG` naming the file and the missing or wrong field.
 */
export function readKubeconfig(file: string, content: string, readFile: ReadFile): KubeConnection {
  const invalid = (problem: string, hint: string) =>
    new RollbotError('INVALID_CONFIG', `kubeconfig ${file}: ${problem}`, { hint });
  let document: unknown;
  const lines = new LineCounter();
  try {
    // Not the library's pretty error, which quotes the offending line: in a kubeconfig that may be a token or a
    // key, and this message reaches validate, the start-up warnings and a failed rollback's timeline.
    document = parse(content, { prettyErrors: false, lineCounter: lines });
  } catch (error) {
    throw invalid(notYaml(error, lines), 'fix the file or point KUBECONFIG at another one');
  }
  const parsed = kubeconfig.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || '(top level)';
    throw invalid(`${field}: ${issue?.message ?? 'invalid'}`, 'run `kubectl config view` to check the file');
  }
  const config = parsed.data;
  const contextName = config['current-context'];
  const context = config.contexts.find((entry) => entry.name === contextName)?.context;
  if (!context) {
    throw invalid(
      `current-context "${contextName}" is not in contexts`,
      'run `kubectl config use-context <name>` with one of the listed contexts',
    );
  }
  const server = config.clusters.find((entry) => entry.name === context.cluster)?.cluster;
  if (!server) {
    throw invalid(
      `cluster "${context.cluster}" of context "${contextName}" is not in clusters`,
      'add it under clusters',
    );
  }
  const account =
    context.user === undefined ? undefined : config.users?.find((entry) => entry.name === context.user);
  if (context.user !== undefined && !account) {
    throw invalid(`user "${context.user}" of context "${contextName}" is not in users`, 'add it under users');
  }
  const resolve = (path: string) => (isAbsolute(path) ? path : join(dirname(file), path));
  const read = (path: string, field: string): string | Buffer => {
    const result = tryRead(readFile, resolve(path));
    if (result.ok) return result.data;
    throw invalid(
      `${field} ${resolve(path)} cannot be read (${result.reason})`,
      `fix ${field} or inline it as ${field}-data`,
    );
  };
  const tls = clusterTls(server, read);
  if (!account) return { server: server.server, tls };
  return { server: server.server, ...userCredentials(account.user, tls, read, invalid) };
}

function clusterTls(
  config: z.output<typeof cluster>,
  read: (path: string, field: string) => string | Buffer,
): TlsOptions {
  const tls: TlsOptions = {};
  if (config['certificate-authority-data'] !== undefined) {
    tls.ca = Buffer.from(config['certificate-authority-data'], 'base64');
  } else if (config['certificate-authority'] !== undefined) {
    tls.ca = read(config['certificate-authority'], 'certificate-authority');
  }
  if (config['insecure-skip-tls-verify'] === true) tls.rejectUnauthorized = false;
  return tls;
}

function userCredentials(
  config: z.output<typeof user>,
  clusterTls: TlsOptions,
  read: (path: string, field: string) => string | Buffer,
  invalid: (problem: string, hint: string) => RollbotError,
): { token?: string; tls: TlsOptions } {
  const tls = { ...clusterTls };
  const cert =
    config['client-certificate-data'] !== undefined
      ? Buffer.from(config['client-certificate-data'], 'base64')
      : config['client-certificate'] !== undefined
        ? read(config['client-certificate'], 'client-certificate')
        : undefined;
  const key =
    config['client-key-data'] !== undefined
      ? Buffer.from(config['client-key-data'], 'base64')
      : config['client-key'] !== undefined
        ? read(config['client-key'], 'client-key')
        : undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw invalid(
      'the user has a client certificate without a key, or a key without a certificate',
      'give both client-certificate(-data) and client-key(-data)',
    );
  }
  if (cert !== undefined && key !== undefined) Object.assign(tls, { cert, key });
  // tokenFile is read on every load, so that a rotated token is picked up.
  const token =
    config.token ??
    (config.tokenFile === undefined ? undefined : text(read(config.tokenFile, 'tokenFile')).trim());
  if (
    token === undefined &&
    cert === undefined &&
    (config.exec !== undefined || config['auth-provider'] !== undefined)
  ) {
    throw invalid(
      'the user authenticates with exec or auth-provider, which rollbot does not run',
      'give rollbot a service-account token (token or tokenFile) or a client certificate',
    );
  }
  return token === undefined ? { tls } : { token, tls };
}

/** The file's content, or why it could not be read. */
export function tryRead(
  readFile: ReadFile,
  path: string,
): { ok: true; data: string | Buffer } | { ok: false; reason: string } {
  try {
    return { ok: true, data: readFile(path) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** File content as UTF-8 text. */
export function text(data: string | Buffer): string {
  return typeof data === 'string' ? data : data.toString('utf8');
}

/** `not YAML at line 6, column 12: <what>`, never the file's text. */
function notYaml(error: unknown, lines: LineCounter): string {
  if (!(error instanceof YAMLError)) return 'not YAML';
  const offset = error.pos[0];
  const at = lines.lineStarts.length > 0 ? lines.linePos(offset) : undefined;
  return at === undefined
    ? `not YAML: ${error.message}`
    : `not YAML at line ${at.line}, column ${at.col}: ${error.message}`;
}
