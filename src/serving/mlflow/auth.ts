import { RollbotError } from '../../core/errors.js';
import { envValue, unsetState, type Environment } from '../../env.js';

/**
 * How rollbot authenticates to MLflow, as MLflow's own clients do: a token sent as Bearer
 * (MLFLOW_TRACKING_TOKEN), or a user and password sent as Basic (MLFLOW_TRACKING_USERNAME and
 * MLFLOW_TRACKING_PASSWORD: MLflow's built-in auth app). With the variables the values came from, for hints.
 */
export type MlflowAuth =
  | { kind: 'bearer'; token: string; tokenEnv: string }
  | { kind: 'basic'; username: string; password: string; usernameEnv: string; passwordEnv: string };

/** The fields of the runbook's mlflow block that name the credentials' variables. */
export interface MlflowAuthFields {
  tokenEnv?: string | undefined;
  usernameEnv?: string | undefined;
  passwordEnv?: string | undefined;
}

/**
 * The credentials the block's variables hold; undefined when it names none. The config allows a token or a
 * user and password, never both (mlflowConfig).
 *
 * Throws RollbotError INVALID_CONFIG when a variable it names is unset (missing or blank), or when the user
 * holds a colon, which basic auth cannot carry (RFC 7617: the first colon ends the user).
 */
export function mlflowAuth(fields: MlflowAuthFields, env: Environment): MlflowAuth | undefined {
  if (fields.tokenEnv !== undefined) {
    const token = required(
      env,
      'tokenEnv',
      fields.tokenEnv,
      'the MLflow token (sent as Authorization: Bearer)',
    );
    return { kind: 'bearer', token, tokenEnv: fields.tokenEnv };
  }
  if (fields.usernameEnv === undefined || fields.passwordEnv === undefined) return undefined;
  const username = required(
    env,
    'usernameEnv',
    fields.usernameEnv,
    'the MLflow user (sent as Authorization: Basic)',
  );
  const password = required(
    env,
    'passwordEnv',
    fields.passwordEnv,
    'the MLflow password (sent as Authorization: Basic)',
  );
  if (username.includes(':')) {
    throw new RollbotError(
      'INVALID_CONFIG',
      `the MLflow user in ${fields.usernameEnv} contains ":", which HTTP basic auth cannot send`,
      { hint: `set ${fields.usernameEnv} to an MLflow user name without ":"` },
    );
  }
  return {
    kind: 'basic',
    username,
    password,
    usernameEnv: fields.usernameEnv,
    passwordEnv: fields.passwordEnv,
  };
}

function required(env: Environment, field: string, name: string, holds: string): string {
  const value = envValue(env, name);
  if (value === undefined) {
    throw new RollbotError(
      'INVALID_CONFIG',
      `serving.${field} names ${name}, which is ${unsetState(env, name)}`,
      {
        hint: `set ${name} in rollbot's environment to ${holds}`,
      },
    );
  }
  return value;
}

/** The Authorization header for `auth`; none without credentials. */
export function authorizationHeaders(auth: MlflowAuth | undefined): Record<string, string> {
  if (auth === undefined) return {};
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${basicCredentials(auth)}` };
}

/**
 * What must never appear in a message: the token, or the password and the encoded user:password (which is the
 * password in another form: a proxy that refuses it may quote the header back).
 */
export function secretsOf(auth: MlflowAuth | undefined): string[] {
  if (auth === undefined) return [];
  if (auth.kind === 'bearer') return [auth.token];
  return [auth.password, basicCredentials(auth)];
}

/** What to check when MLflow answers 401 or 403. */
export function refusedHint(auth: MlflowAuth | undefined, registeredModel: string): string {
  if (auth === undefined) {
    return 'MLflow wants credentials: set serving.tokenEnv to the variable holding a token, or serving.usernameEnv and serving.passwordEnv to those holding a user and password';
  }
  if (auth.kind === 'bearer') {
    return `check the token in ${auth.tokenEnv}: MLflow refused it or it lacks permission on ${registeredModel}`;
  }
  return `check the user in ${auth.usernameEnv} and the password in ${auth.passwordEnv}: MLflow refused them or the user lacks permission on ${registeredModel}`;
}

// UTF-8, as MLflow's Python client encodes them.
const basicCredentials = (auth: { username: string; password: string }): string =>
  Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
