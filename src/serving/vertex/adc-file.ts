/**
 * The key file GOOGLE_APPLICATION_CREDENTIALS points at, as Google's Application Default Credentials read it: a
 * service account key (`gcloud iam service-accounts keys create`) or a user's refresh token (`gcloud auth
 * application-default login`). Read by the token source when it needs a token and by the start-up check, so that
 * both refuse the same files with the same words. Nothing from the file's contents goes into a message: it holds a
 * private key or a refresh token.
 */
import { envValue, type Environment } from '../../env.js';
import type { ReadFile } from '../k8s/types.js';

export const CREDENTIALS_VARIABLE = 'GOOGLE_APPLICATION_CREDENTIALS';
export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

export interface ServiceAccountKey {
  type: 'service_account';
  clientEmail: string;
  privateKey: string;
  privateKeyId: string | undefined;
  tokenUri: string;
}

export interface AuthorizedUser {
  type: 'authorized_user';
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  tokenUri: string;
}

export type CredentialsFile = ServiceAccountKey | AuthorizedUser;

/** The file, or why it cannot be used (`problem`, naming the file) and what to do (`fix`). */
export type CredentialsFileResult =
  | { ok: true; path: string; credentials: CredentialsFile }
  | { ok: false; path: string; problem: string; fix: string };

const FIX =
  `point ${CREDENTIALS_VARIABLE} at a service account key file (JSON, "type": "service_account") ` +
  "readable by rollbot, or unset it to use the metadata server's service account (GKE Workload Identity, GCE)";

/** Undefined when GOOGLE_APPLICATION_CREDENTIALS is unset: the metadata server is the source then. */
export function readCredentialsFile(env: Environment, readFile: ReadFile): CredentialsFileResult | undefined {
  const path = envValue(env, CREDENTIALS_VARIABLE);
  if (path === undefined) return undefined;
  const named = `${CREDENTIALS_VARIABLE} is set to ${path}, which`;
  let text: string;
  try {
    const data = readFile(path);
    text = typeof data === 'string' ? data : data.toString('utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, path, problem: `${named} cannot be read (${reason})`, fix: FIX };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, path, problem: `${named} is not JSON`, fix: FIX };
  }
  const fields = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const field = (key: string): string | undefined =>
    typeof fields[key] === 'string' && fields[key].trim() !== '' ? fields[key] : undefined;
  const missing = (keys: string[]) => keys.filter((key) => field(key) === undefined);
  const tokenUri = field('token_uri') ?? DEFAULT_TOKEN_URI;
  const type = field('type');
  if (type === 'service_account') {
    const absent = missing(['client_email', 'private_key']);
    if (absent.length > 0) {
      return { ok: false, path, problem: `${named} lacks ${absent.join(' and ')}`, fix: FIX };
    }
    const credentials: ServiceAccountKey = {
      type,
      clientEmail: field('client_email') ?? '',
      privateKey: field('private_key') ?? '',
      privateKeyId: field('private_key_id'),
      tokenUri,
    };
    return { ok: true, path, credentials };
  }
  if (type === 'authorized_user') {
    const absent = missing(['client_id', 'client_secret', 'refresh_token']);
    if (absent.length > 0) {
      return { ok: false, path, problem: `${named} lacks ${absent.join(', ')}`, fix: FIX };
    }
    const credentials: AuthorizedUser = {
      type,
      clientId: field('client_id') ?? '',
      clientSecret: field('client_secret') ?? '',
      refreshToken: field('refresh_token') ?? '',
      tokenUri,
    };
    return { ok: true, path, credentials };
  }
  // external_account (workload identity federation) and impersonation need Google's STS flows, not built here.
  const kind = type === undefined ? 'has no "type"' : `is of type "${type}"`;
  return {
    ok: false,
    path,
    problem: `${named} ${kind}: rollbot reads only "service_account" and "authorized_user" files`,
    fix: FIX,
  };
}
