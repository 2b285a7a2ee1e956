import { z } from 'zod';
import { ServingError } from '../../core/errors.js';
import { requestJson } from '../request.js';
import { maskSecrets } from '../template.js';
import { authorizationHeaders, refusedHint, secretsOf, type MlflowAuth } from './auth.js';

/** One registered model version, as the MLflow REST API returns it (versions are strings there). */
export interface ModelVersion {
  version: string;
  /** PENDING_REGISTRATION, FAILED_REGISTRATION or READY. */
  status?: string | undefined;
}

/** The few MLflow Model Registry calls the adapter makes, for one registered model and alias. */
export interface MlflowRegistry {
  /** The version `alias` resolves to. */
  resolveAlias(): Promise<ModelVersion>;
  /** Every alias of the registered model. */
  aliases(): Promise<{ alias: string; version: string }[]>;
  getVersion(version: string): Promise<ModelVersion>;
  /** Every version of the registered model, all pages. */
  searchVersions(): Promise<ModelVersion[]>;
  /** Points `alias` at `version` (MLflow replaces an existing alias). */
  setAlias(version: string): Promise<void>;
  setTag(version: string, key: string, value: string): Promise<void>;
}

export interface MlflowRegistryOptions {
  trackingUri: string;
  registeredModel: string;
  alias: string;
  /** The credentials, with the variables they came from (for hints); none when the block names none. */
  auth: MlflowAuth | undefined;
  timeoutMs: number;
}

const modelVersion = z.object({ version: z.string(), status: z.string().optional() });
const aliasResponse = z.object({ model_version: modelVersion });
const versionResponse = z.object({ model_version: modelVersion });
const modelResponse = z.object({
  registered_model: z.object({
    aliases: z.array(z.object({ alias: z.string(), version: z.string() })).optional(),
  }),
});
const searchResponse = z.object({
  model_versions: z.array(modelVersion).optional(),
  next_page_token: z.string().optional(),
});

/** Page cap for the version search, so that a misbehaving server cannot loop us forever. */
const MAX_PAGES = 20;

/** A client for MLflow's REST API (`/api/2.0/mlflow`), over requestJson for timeouts and error classes. */
export function createMlflowRegistry(options: MlflowRegistryOptions): MlflowRegistry {
  const base = `${options.trackingUri.replace(/\/+$/, '')}/api/2.0/mlflow`;
  const name = options.registeredModel;
  const ref = `${name}@${options.alias}`;
  const headers = authorizationHeaders(options.auth);

  async function send<T>(
    call: {
      method: 'GET' | 'POST';
      path: string;
      query?: Record<string, string>;
      body?: unknown;
      what: string;
    },
    schema: z.ZodType<T>,
    notFoundHint: string,
  ): Promise<T> {
    const url = new URL(`${base}/${call.path}`);
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, value);
    const what = `MLflow ${call.what}`;
    let body: unknown;
    try {
      ({ body } = await requestJson({
        method: call.method,
        url: url.toString(),
        headers,
        body: call.body,
        timeoutMs: options.timeoutMs,
        what,
      }));
    } catch (error) {
      throw withHint(error, notFoundHint, options);
    }
    const parsed = schema.safeParse(body ?? {});
    if (!parsed.success) {
      throw new ServingError(`${what}: unexpected answer: ${JSON.stringify(body)?.slice(0, 200)}`, {
        transient: false,
        hint: 'check that serving.trackingUri points at an MLflow tracking server (2.3 or later, for aliases)',
      });
    }
    return parsed.data;
  }

  const modelHint = `check serving.registeredModel "${name}" and serving.alias "${options.alias}" at ${options.trackingUri}`;
  return {
    async resolveAlias() {
      const query = { name, alias: options.alias };
      const what = `GET alias ${ref}`;
      const answer = await send(
        { method: 'GET', path: 'registered-models/alias', query, what },
        aliasResponse,
        modelHint,
      );
      return answer.model_version;
    },
    async aliases() {
      const what = `GET registered model ${name}`;
      const answer = await send(
        { method: 'GET', path: 'registered-models/get', query: { name }, what },
        modelResponse,
        modelHint,
      );
      return answer.registered_model.aliases ?? [];
    },
    async getVersion(version) {
      const query = { name, version };
      const what = `GET version ${version} of ${name}`;
      const hint = `version ${version} of ${name} does not exist: check the rollback target`;
      const answer = await send(
        { method: 'GET', path: 'model-versions/get', query, what },
        versionResponse,
        hint,
      );
      return answer.model_version;
    },
    async searchVersions() {
      const versions: ModelVersion[] = [];
      let pageToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page += 1) {
        // Quote with whichever quote the name does not contain (MLflow's filter grammar has no escapes).
        const filter = name.includes("'") ? `name="${name}"` : `name='${name}'`;
        const query: Record<string, string> =
          pageToken === undefined ? { filter } : { filter, page_token: pageToken };
        const what = `search versions of ${name}`;
        const answer = await send(
          { method: 'GET', path: 'model-versions/search', query, what },
          searchResponse,
          modelHint,
        );
        versions.push(...(answer.model_versions ?? []));
        pageToken = answer.next_page_token || undefined;
        if (pageToken === undefined) break;
      }
      return versions;
    },
    async setAlias(version) {
      const body = { name, alias: options.alias, version };
      const what = `POST alias ${ref} → ${version}`;
      await send({ method: 'POST', path: 'registered-models/alias', body, what }, z.unknown(), modelHint);
    },
    async setTag(version, key, value) {
      const body = { name, version, key, value };
      const what = `POST tag ${key} on version ${version} of ${name}`;
      await send({ method: 'POST', path: 'model-versions/set-tag', body, what }, z.unknown(), modelHint);
    },
  };
}

/**
 * requestJson's generic hints, made specific to MLflow (which name, which variables), and the secrets masked in
 * the message: a proxy in front of MLflow that refuses a token or a password may quote it back, and the message
 * goes to the timeline, Slack and the logs (the http adapter masks its variables the same way).
 */
function withHint(error: unknown, notFoundHint: string, options: MlflowRegistryOptions): unknown {
  if (!(error instanceof ServingError)) return error;
  let hint: string | undefined;
  if (error.status === 404) hint = notFoundHint;
  if (error.status === 401 || error.status === 403) hint = refusedHint(options.auth, options.registeredModel);
  const message = maskSecrets(error.message, secretsOf(options.auth));
  if (hint === undefined && message === error.message) return error;
  const shownHint = hint ?? error.hint;
  return new ServingError(message, {
    transient: error.transient,
    effectUnknown: error.effectUnknown,
    ...(shownHint === undefined ? {} : { hint: shownHint }),
    // Not the error itself as the cause: its message is the unmasked one.
    ...(error.cause === undefined ? {} : { cause: error.cause }),
    details: error.details,
    ...(error.status === undefined ? {} : { status: error.status }),
  });
}
