/**
 * OAuth2 access tokens for Google APIs, by Application Default Credentials' order without Google's SDK (which would
 * add tens of megabytes to the image for two calls): the key file GOOGLE_APPLICATION_CREDENTIALS points at (a
 * service account: a JWT signed with its key, RFC 7523; a user: its refresh token), else the metadata server of
 * GKE (Workload Identity) and GCE. A token is reused until a minute before it expires. Tokens, keys and refresh
 * tokens never go into a message: those reach the timeline, Slack and the logs.
 */
import { sign } from 'node:crypto';
import { z } from 'zod';
import { ServingError } from '../../core/errors.js';
import { envValue, type Environment } from '../../env.js';
import type { ReadFile } from '../k8s/types.js';
import { requestJson } from '../request.js';
import { readCredentialsFile, type CredentialsFileResult, type ServiceAccountKey } from './adc-file.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Refresh this long before expiry, so that a token does not expire between our check and Google's. */
const EXPIRY_MARGIN_MS = 60_000;
const JWT_LIFETIME_S = 3600;

export interface GoogleTokenOptions {
  env: Environment;
  readFile: ReadFile;
  timeoutMs: number;
  now?: () => number;
}

export interface GoogleTokenSource {
  /** A valid access token, from the cache or fetched. */
  token(): Promise<string>;
  /** Where tokens come from, for hints: `the service account in /var/run/key.json`, `the metadata server`. */
  describe(): string;
}

const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().optional() });

export function createGoogleTokenSource(options: GoogleTokenOptions): GoogleTokenSource {
  const now = options.now ?? Date.now;
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const file = readCredentialsFile(options.env, options.readFile);
    const request = tokenRequest(file, options.env, now());
    let body: unknown;
    try {
      ({ body } = await requestJson({
        method: request.body === undefined ? 'GET' : 'POST',
        url: request.url,
        headers: request.headers,
        ...(request.body === undefined
          ? {}
          : { body: request.body, contentType: 'application/x-www-form-urlencoded' }),
        timeoutMs: options.timeoutMs,
        what: request.what,
      }));
    } catch (error) {
      throw tokenError(error, file === undefined, describe());
    }
    const parsed = tokenAnswer.safeParse(body);
    if (!parsed.success) {
      throw new ServingError(`${request.what}: the answer holds no access_token`, {
        transient: false,
        hint: `check ${describe()}: it did not answer as a Google token endpoint does`,
      });
    }
    const lifetimeMs = (parsed.data.expires_in ?? 3600) * 1000;
    cached = { token: parsed.data.access_token, refreshAt: now() + lifetimeMs - EXPIRY_MARGIN_MS };
    return parsed.data.access_token;
  }

  function describe(): string {
    const file = readCredentialsFile(options.env, options.readFile);
    if (file === undefined) return `the metadata server's service account (${metadataHost(options.env)})`;
    if (!file.ok) return `the credentials file ${file.path}`;
    return file.credentials.type === 'service_account'
      ? `the service account ${file.credentials.clientEmail} (key file ${file.path})`
      : `the user credentials in ${file.path}`;
  }

  return {
    async token() {
      if (cached !== undefined && now() < cached.refreshAt) return cached.token;
      // Calls that need a token at the same moment share one fetch.
      inFlight ??= fetchToken().finally(() => (inFlight = undefined));
      return inFlight;
    },
    describe,
  };
}

/** The call that gets a token from the source ADC picks; refuses a credentials file that cannot be used. */
function tokenRequest(
  file: CredentialsFileResult | undefined,
  env: Environment,
  nowMs: number,
): TokenRequest {
  if (file === undefined) return metadataRequest(env);
  // No retry makes the file right: refused at once.
  if (!file.ok)
    throw new ServingError(`no Google credentials: ${file.problem}`, { transient: false, hint: file.fix });
  if (file.credentials.type === 'service_account') return serviceAccountRequest(file.credentials, nowMs);
  const user = file.credentials;
  return {
    url: user.tokenUri,
    what: `Google token refresh for the user in ${file.path}`,
    body: form({
      grant_type: 'refresh_token',
      client_id: user.clientId,
      client_secret: user.clientSecret,
      refresh_token: user.refreshToken,
    }),
    headers: {},
  };
}

interface TokenRequest {
  url: string;
  what: string;
  /** A form for the token endpoint; none for the metadata server (GET). */
  body?: string;
  headers: Record<string, string>;
}

/** GCE_METADATA_HOST overrides the host, as in Google's own libraries (emulators, tests). */
function metadataHost(env: Environment): string {
  return envValue(env, 'GCE_METADATA_HOST') ?? 'metadata.google.internal';
}

function metadataRequest(env: Environment): TokenRequest {
  const host = metadataHost(env);
  return {
    url: `http://${host}/computeMetadata/v1/instance/service-accounts/default/token`,
    what: `Google token from the metadata server ${host}`,
    headers: { 'metadata-flavor': 'Google' },
  };
}

/** The JWT bearer grant (RFC 7523): a JWT signed RS256 with the service account's private key. */
function serviceAccountRequest(key: ServiceAccountKey, nowMs: number): TokenRequest {
  const iat = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = {
    iss: key.clientEmail,
    scope: CLOUD_PLATFORM_SCOPE,
    aud: key.tokenUri,
    iat,
    exp: iat + JWT_LIFETIME_S,
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  let signature: Buffer;
  try {
    signature = sign('sha256', Buffer.from(unsigned), key.privateKey);
  } catch {
    // The crypto error says nothing useful and must not tempt anyone to log the key: name the file's field.
    throw new ServingError(`the private_key of service account ${key.clientEmail} is not a usable RSA key`, {
      transient: false,
      hint: 'create a new JSON key for the service account (gcloud iam service-accounts keys create) and mount it where GOOGLE_APPLICATION_CREDENTIALS points',
    });
  }
  return {
    url: key.tokenUri,
    what: `Google token for service account ${key.clientEmail}`,
    body: form({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: `${unsigned}.${signature.toString('base64url')}`,
    }),
    headers: {},
  };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** requestJson's error, with what to do about Google credentials in particular. */
function tokenError(error: unknown, metadata: boolean, source: string): unknown {
  if (!(error instanceof ServingError)) return error;
  const status = error.status;
  if (metadata && status === undefined && /ENOTFOUND|EAI_AGAIN/.test(error.message)) {
    // Off Google Cloud the metadata host does not resolve: no retry within the rollback target changes that.
    return new ServingError(`no Google credentials: ${error.message}`, {
      transient: false,
      hint: 'GOOGLE_APPLICATION_CREDENTIALS is not set and there is no metadata server: set it to a service account key file, or run rollbot on GKE with Workload Identity (or GCE) with a service account',
    });
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408) {
    const hint = metadata
      ? 'the metadata server has no token for this pod: on GKE, bind its Kubernetes service account to a Google service account (Workload Identity); on GCE, give the instance a service account'
      : `${source} was refused: the key may be deleted or disabled, or the refresh token revoked; issue a new one`;
    return new ServingError(error.message, { transient: false, status, hint });
  }
  return error;
}
