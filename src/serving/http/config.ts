import { z } from 'zod';
import { duration, envName } from '../../runbooks/fields.js';
import { eta } from '../universal-config.js';
import {
  fillJsonTemplate,
  isJsonContentType,
  PLACEHOLDERS,
  templateProblems,
  type Placeholder,
} from '../template.js';
import { urlCredentials } from '../url-credentials.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name');

/** A JSON body written as YAML (filled string by string, then JSON-encoded) or a text template. */
const body = z.union([z.string(), z.record(z.string(), z.json()), z.array(z.json())]);

const requestFields = (defaultMethod: (typeof METHODS)[number]) => ({
  method: z.enum(METHODS).default(defaultMethod),
  url: z
    .string()
    .regex(/^(https?:\/\/|\{\{\s*env\.)/, 'expected an http:// or https:// URL (placeholders allowed)'),
  headers: z.record(headerName, z.string()).default({}),
  body: body.optional(),
});

/** A dotted path into a JSON document: `active.version`, `items.0.tag`. */
const jsonPath = z
  .string()
  .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'expected a dotted path like active.version');

/**
 * `serving: {adapter: http, …}`: a templated request to a router or deploy job. Placeholders: `{{model}}`,
 * `{{from}}` (needs `status`), `{{to}}`, `{{incident}}`, `{{reason}}`, `{{idempotencyKey}}`, `{{fence}}`,
 * `{{env.NAME}}` (NAME listed in `env`); the status request knows only `{{model}}` and `{{env.NAME}}`.
 */
export const httpConfig = z
  .strictObject({
    adapter: z.literal('http'),
    /** The call that rolls back; sent with an `Idempotency-Key` header; any 2xx (or a 303 See Other) is success. */
    rollback: z.strictObject(requestFields('POST')),
    /** The call that reads the current version; makes execute idempotent and confirms the rollback. */
    status: z
      .strictObject({
        ...requestFields('GET'),
        versionPath: jsonPath,
        previousPath: jsonPath.optional(),
      })
      .optional(),
    /** Per request. */
    timeout: duration(
      'a timeout of zero switches the timeout off (Node then waits for an answer forever), so a hung router would hang the rollback',
      'timeout',
    ).default(10_000),
    regime: z.enum(['traffic-flip', 'redeploy']).default('traffic-flip'),
    /** Expected time until traffic is on the target; default 30s for a flip, 10m for a redeploy. */
    eta: eta.optional(),
    /** Environment variables templates may read as `{{env.NAME}}`; nothing else is readable. */
    env: z.array(envName).default([]),
  })
  .superRefine((config, ctx) => {
    const rollbackVars = config.status ? PLACEHOLDERS : PLACEHOLDERS.filter((name) => name !== 'from');
    checkRequest(config.rollback, ['rollback'], rollbackVars, config.env, ctx);
    if (config.status) checkRequest(config.status, ['status'], ['model'], config.env, ctx);
  });

export type HttpConfig = z.output<typeof httpConfig>;
/** The rollback request, or the status request without its paths. */
export type HttpRequestConfig = HttpConfig['rollback'];

// Header names that carry credentials: their values must come from the environment, not the runbook file.
const SECRET_HEADER =
  /^(authorization|proxy-authorization|cookie)$|token|secret|api-?key|password|credential/i;

function checkRequest(
  request: HttpRequestConfig,
  path: string[],
  vars: readonly Placeholder[],
  env: readonly string[],
  ctx: z.RefinementCtx,
): void {
  const check = (text: string, where: (string | number)[]): void => {
    for (const message of templateProblems(text, { vars, env })) {
      ctx.addIssue({ code: 'custom', path: [...path, ...where], message });
    }
  };
  check(request.url, ['url']);
  for (const where of urlCredentials(request.url)) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'url'],
      message: `${where} looks like a secret written in the runbook: write {{env.NAME}} instead and list NAME in env`,
    });
  }
  for (const [name, value] of Object.entries(request.headers)) {
    check(value, ['headers', name]);
    if (name.toLowerCase() === 'idempotency-key') {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'headers', name],
        message: 'rollbot sets Idempotency-Key itself (one key per decision): remove it',
      });
    } else if (SECRET_HEADER.test(name) && !/\{\{\s*env\./.test(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'headers', name],
        message: `looks like a secret written in the runbook: write {{env.NAME}} instead and list NAME in env`,
      });
    }
  }
  for (const [text, where] of stringsIn(request.body, ['body'])) check(text, where);
  const jsonProblem = jsonBodyProblem(request, env);
  if (jsonProblem !== undefined)
    ctx.addIssue({ code: 'custom', path: [...path, 'body'], message: jsonProblem });
}

/**
 * A text body sent as JSON must be JSON whatever the values: filled the way a rollback fills it (values escaped
 * as JSON string content), with v42 for each value, it must parse. A placeholder outside quotes
 * (`{"version": {{to}}}`) passes with version 42 and breaks with v42, at the rollback that fills it; `{{fence}}`
 * is a number and may stand bare, as may an operator's `{{env.NAME}}` (filled with 0 here).
 */
function jsonBodyProblem(request: HttpRequestConfig, env: readonly string[]): string | undefined {
  if (typeof request.body !== 'string') return undefined;
  const contentType = Object.entries(request.headers).find(
    ([name]) => name.toLowerCase() === 'content-type',
  )?.[1];
  if (!isJsonContentType(contentType ?? 'application/json')) return undefined;
  const vars = Object.fromEntries(PLACEHOLDERS.map((name) => [name, name === 'fence' ? '1' : 'v42']));
  let filled: string;
  try {
    filled = fillJsonTemplate(request.body, {
      vars,
      env: Object.fromEntries(env.map((name) => [name, '0'])),
      allowEnv: env,
    });
  } catch {
    return undefined; // an unknown placeholder or env name: templateProblems says so
  }
  try {
    JSON.parse(filled);
    return undefined;
  } catch {
    const shown = filled.length > 200 ? `${filled.slice(0, 200)}…` : filled;
    return `is not valid JSON once filled (with v42 for each value, it reads ${shown}): put placeholders inside JSON strings ("version": "{{to}}"), or write the body as YAML`;
  }
}

/** Every string in a body, with its path, so that YAML bodies are checked leaf by leaf. */
function stringsIn(value: unknown, path: (string | number)[]): [string, (string | number)[]][] {
  if (typeof value === 'string') return [[value, path]];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsIn(item, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => stringsIn(item, [...path, key]));
  }
  return [];
}
