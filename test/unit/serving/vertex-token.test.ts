/**
 * Google access tokens by Application Default Credentials' order, against nock: a service account key file (a JWT
 * signed with a throwaway RSA key, checked here with its public key), a user's refresh token, the metadata server.
 */
import { generateKeyPairSync, verify } from 'node:crypto';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLOUD_PLATFORM_SCOPE, createGoogleTokenSource } from '../../../src/serving/vertex/google-token.js';
import { servingError } from '../../helpers/serving-calls.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const KEY_PATH = '/var/run/secrets/google/key.json';
const EMAIL = 'rollbot@ml-prod.iam.gserviceaccount.com';
const serviceAccount = (extra: Record<string, string> = {}) =>
  JSON.stringify({
    type: 'service_account',
    client_email: EMAIL,
    private_key: PRIVATE_PEM,
    private_key_id: 'kid-1',
    ...extra,
  });

function files(contents: Record<string, string>) {
  return (path: string): string => {
    const content = contents[path];
    if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return content;
  };
}

function source(env: Record<string, string>, contents: Record<string, string> = {}, now = () => 1_000_000) {
  return createGoogleTokenSource({ env, readFile: files(contents), timeoutMs: 2000, now });
}

/** The JWT's header and claims, after checking its RS256 signature with the throwaway key's public half. */
function checkedJwt(assertion: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header = '', claims = '', signature = ''] = assertion.split('.');
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${claims}`),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
  expect(valid).toBe(true);
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as never;
  return { header: decode(header), claims: decode(claims) };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toStrictEqual([]);
  nock.cleanAll();
});

describe('Google tokens from a service account key file', () => {
  it('signs a JWT bearer grant with the key and posts it to the default token endpoint', async () => {
    let assertion = '';
    nock('https://oauth2.googleapis.com')
      .post('/token', (body: Record<string, string>) => {
        assertion = body.assertion ?? '';
        return body.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer';
      })
      .reply(200, { access_token: 'ya29.sa-token', expires_in: 3599, token_type: 'Bearer' });
    const tokens = source({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, { [KEY_PATH]: serviceAccount() });
    expect(await tokens.token()).toBe('ya29.sa-token');
    const { header, claims } = checkedJwt(assertion);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
    expect(claims).toEqual({
      iss: EMAIL,
      scope: CLOUD_PLATFORM_SCOPE,
      aud: 'https://oauth2.googleapis.com/token',
      iat: 1000,
      exp: 4600,
    });
  });

  it("posts to the key file's own token_uri", async () => {
    nock('https://oauth2.private.test').post('/token').reply(200, { access_token: 't', expires_in: 3600 });
    const key = serviceAccount({ token_uri: 'https://oauth2.private.test/token' });
    const tokens = source({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, { [KEY_PATH]: key });
    expect(await tokens.token()).toBe('t');
  });

  it('reuses a token until a minute before it expires, then fetches a new one', async () => {
    let clock = 1_000_000;
    nock('https://oauth2.googleapis.com')
      .post('/token')
      .reply(200, { access_token: 'first', expires_in: 3600 });
    const tokens = source(
      { GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH },
      { [KEY_PATH]: serviceAccount() },
      () => clock,
    );
    expect(await tokens.token()).toBe('first');
    clock += 3600_000 - 61_000;
    expect(await tokens.token()).toBe('first');
    nock('https://oauth2.googleapis.com')
      .post('/token')
      .reply(200, { access_token: 'second', expires_in: 3600 });
    clock += 2000;
    expect(await tokens.token()).toBe('second');
  });

  it('shares one fetch between calls that need a token at the same moment', async () => {
    nock('https://oauth2.googleapis.com')
      .post('/token')
      .once()
      .reply(200, { access_token: 'one', expires_in: 3600 });
    const tokens = source({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, { [KEY_PATH]: serviceAccount() });
    expect(await Promise.all([tokens.token(), tokens.token()])).toEqual(['one', 'one']);
  });

  it('refuses a refused key at once (no retry), naming the service account and not the key or the JWT', async () => {
    nock('https://oauth2.googleapis.com')
      .post('/token')
      .reply(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const tokens = source({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, { [KEY_PATH]: serviceAccount() });
    const error = await servingError(tokens.token());
    expect(error.transient).toBe(false);
    expect(error.message).toContain(EMAIL);
    expect(error.hint).toContain(`key file ${KEY_PATH}`);
    const said = `${error.message} ${error.hint ?? ''}`;
    expect(said).not.toContain('PRIVATE KEY');
    expect(said).not.toContain('eyJ');
  });

  it('refuses a private_key that is not a key without quoting it', async () => {
    const key = serviceAccount({ private_key: 'not-a-key-secret-material' });
    const tokens = source({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, { [KEY_PATH]: key });
    const error = await servingError(tokens.token());
    expect(error.transient).toBe(false);
    expect(error.message).toBe(`the private_key of service account ${EMAIL} is not a usable RSA key`);
    expect(error.hint).not.toContain('secret-material');
  });

  it.each([
    ['missing', {}, `GOOGLE_APPLICATION_CREDENTIALS is set to ${KEY_PATH}, which cannot be read (ENOENT`],
    ['not JSON', { [KEY_PATH]: 'private_key: x' }, `${KEY_PATH}, which is not JSON`],
    [
      'of another type',
      { [KEY_PATH]: JSON.stringify({ type: 'external_account' }) },
      `${KEY_PATH}, which is of type "external_account": rollbot reads only "service_account" and "authorized_user" files`,
    ],
    [
      'without a key',
      { [KEY_PATH]: JSON.stringify({ type: 'service_account', client_email: EMAIL }) },
      `${KEY_PATH}, which lacks private_key`,
    ],
  ])('refuses a key file that is %s, naming it, without a call', async (_, contents, said) => {
    const error = await servingError(source({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, contents).token());
    expect(error.transient).toBe(false);
    expect(error.message).toContain(said);
    expect(error.hint).toMatch(/^point GOOGLE_APPLICATION_CREDENTIALS at a service account key file/);
  });
});

describe('Google tokens from a user refresh token (gcloud auth application-default login)', () => {
  it('posts the refresh_token grant with the client id and secret', async () => {
    const user = { type: 'authorized_user', client_id: 'cid', client_secret: 'csecret', refresh_token: 'rt' };
    nock('https://oauth2.googleapis.com')
      .post('/token', {
        grant_type: 'refresh_token',
        client_id: 'cid',
        client_secret: 'csecret',
        refresh_token: 'rt',
      })
      .reply(200, { access_token: 'user-token', expires_in: 3600 });
    const tokens = source({ GOOGLE_APPLICATION_CREDENTIALS: KEY_PATH }, { [KEY_PATH]: JSON.stringify(user) });
    expect(await tokens.token()).toBe('user-token');
  });
});

describe('Google tokens from the metadata server (GKE Workload Identity, GCE)', () => {
  const PATH = '/computeMetadata/v1/instance/service-accounts/default/token';

  it('asks metadata.google.internal with Metadata-Flavor: Google when no key file is set', async () => {
    nock('http://metadata.google.internal', { reqheaders: { 'metadata-flavor': 'Google' } })
      .get(PATH)
      .reply(200, { access_token: 'gke-token', expires_in: 3000, token_type: 'Bearer' });
    expect(await source({}).token()).toBe('gke-token');
  });

  it('asks the host GCE_METADATA_HOST names, as Google libraries do', async () => {
    nock('http://127.0.0.1:8089').get(PATH).reply(200, { access_token: 'emulated', expires_in: 3000 });
    expect(await source({ GCE_METADATA_HOST: '127.0.0.1:8089' }).token()).toBe('emulated');
  });

  it('says how to give the pod a service account when the metadata server has none', async () => {
    nock('http://metadata.google.internal').get(PATH).reply(404, 'not found');
    const error = await servingError(source({}).token());
    expect(error.transient).toBe(false);
    expect(error.hint).toContain('Workload Identity');
  });

  it('says at once, without retrying, that there are no credentials off Google Cloud (no metadata host)', async () => {
    nock('http://metadata.google.internal')
      .get(PATH)
      .replyWithError(
        Object.assign(new Error('getaddrinfo ENOTFOUND metadata.google.internal'), { code: 'ENOTFOUND' }),
      );
    const error = await servingError(source({}).token());
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/^no Google credentials: /);
    expect(error.hint).toContain('GOOGLE_APPLICATION_CREDENTIALS is not set and there is no metadata server');
  });

  it('leaves a metadata server failure to be retried', async () => {
    nock('http://metadata.google.internal').get(PATH).reply(503, 'unavailable');
    const error = await servingError(source({}).token());
    expect(error.transient).toBe(true);
  });
});
