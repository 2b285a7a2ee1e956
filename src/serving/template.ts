/**
 * `{{placeholder}}` filling for the universal serving adapters (http, command). Deliberately not a template
 * language: a placeholder is replaced by its value as text, in one pass (a value that itself contains
 * `{{to}}` stays literal), and the only context-aware part is the encoding each caller picks (JSON string
 * content, URL component). Secrets reach a template only as `{{env.NAME}}`, and only for names the runbook
 * lists in its `env` allow-list.
 */
import { RollbotError, ServingError } from '../core/errors.js';
import { closest } from '../core/suggest.js';
import { envValue as readVariable, unsetState, type Environment } from '../env.js';

/** The placeholders a serving template may use, besides `{{env.NAME}}`. */
export const PLACEHOLDERS = ['model', 'from', 'to', 'incident', 'reason', 'idempotencyKey', 'fence'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export interface TemplateValues {
  /** A value per placeholder; using a placeholder that has none is an error (unless `keepMissing`). */
  vars: Partial<Record<Placeholder, string>>;
  /** The process environment (or a test's), read only for names in `allowEnv`, by the rule of src/env.ts. */
  env: Environment;
  /** The runbook's `env` list: the only names `{{env.NAME}}` may use. */
  allowEnv: readonly string[];
  /** Show `{{env.NAME}}` values as `***` (plans, messages); they are still checked to be set. */
  maskEnv?: boolean;
  /** Leave placeholders without a value as `{{name}}` (plans, made before the incident values exist). */
  keepMissing?: boolean;
}

/** The mark shown instead of an environment value. */
export const MASK = '***';

// Lazy, so that `{{a}} {{b}}` is two placeholders; an unclosed `{{` is plain text.
const PLACEHOLDER = /\{\{(.*?)\}\}/g;

type Encode = (value: string, source: 'var' | 'env') => string;

/** A content type whose body is JSON (`application/json`, `application/merge-patch+json`, …). */
export function isJsonContentType(contentType: string): boolean {
  return /[/+]json\b/i.test(contentType);
}

/** Fills `text` with values as they are. For argv elements, headers and plain-text bodies. */
export function fillTemplate(text: string, values: TemplateValues): string {
  return fill(text, values, (value) => value);
}

/**
 * Fills a JSON text, escaping each value as JSON string content, so that a reason containing `"` or `\`
 * cannot end the string it is placed in and inject fields. Placeholders belong inside quotes
 * (`"reason": "{{reason}}"`); `{{fence}}` may stand bare as a number.
 */
export function fillJsonTemplate(text: string, values: TemplateValues): string {
  return fill(text, values, (value) => JSON.stringify(value).slice(1, -1));
}

/**
 * Fills a URL. Incident values (`to`, `reason`, …) are percent-encoded so that a version like `v2?admin=1`
 * or `../x` stays inside its path segment or query value, and `.` and `..` are refused; `{{env.NAME}}` values
 * are inserted as they are, because they come from the operator and may hold a base URL such as
 * `https://router.internal`.
 */
export function fillUrlTemplate(text: string, values: TemplateValues): string {
  return fill(text, values, (value, source) => {
    if (source === 'env') return value;
    // Percent-encoding leaves dots alone, and a URL parser resolves a `.` or `..` segment (encoded or not)
    // away: `/versions/{{to}}/activate` with `..` would reach `/activate` of the level above.
    if (value === '.' || value === '..') {
      throw new ServingError(`"${value}" cannot be placed in a URL: it would be read as a path step`, {
        transient: false,
        hint: 'versions and other values may not be "." or ".."; check the version asked for',
      });
    }
    return encodeURIComponent(value);
  });
}

/** Fills an `application/x-www-form-urlencoded` body: every value is percent-encoded. */
export function fillFormTemplate(text: string, values: TemplateValues): string {
  return fill(text, values, (value) => encodeURIComponent(value));
}

function fill(text: string, values: TemplateValues, encode: Encode): string {
  // A replacer function, not a replacement string: `$&` or `$1` in a value must stay literal.
  return text.replace(PLACEHOLDER, (whole, inner: string) => {
    const name = inner.trim();
    if (name.startsWith('env.')) {
      const value = envValue(name.slice(4), values);
      return values.maskEnv ? MASK : encode(value, 'env');
    }
    if (!isPlaceholder(name)) throw unknownPlaceholder(name);
    const value = values.vars[name];
    if (value !== undefined) return encode(value, 'var');
    if (values.keepMissing) return whole;
    throw new RollbotError('INVALID_CONFIG', `{{${name}}} has no value here`, {
      hint: 'status requests and status commands know only {{model}} and {{env.NAME}}; {{from}} needs a status request',
    });
  });
}

function envValue(name: string, values: TemplateValues): string {
  if (!values.allowEnv.includes(name)) {
    throw new RollbotError(
      'INVALID_CONFIG',
      `{{env.${name}}} is not allowed: ${name} is not in the env list`,
      {
        hint: `add ${name} to the serving block's env list`,
      },
    );
  }
  const value = readVariable(values.env, name);
  if (value === undefined) {
    throw new RollbotError(
      'INVALID_CONFIG',
      `{{env.${name}}}: the environment variable ${name} is ${unsetState(values.env, name)}`,
      { hint: `set ${name} in rollbot's environment` },
    );
  }
  return value;
}

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

function unknownPlaceholder(name: string): RollbotError {
  const guess = closest(name, PLACEHOLDERS);
  return new RollbotError('INVALID_CONFIG', `unknown placeholder {{${name}}}`, {
    hint: `${guess ? `did you mean {{${guess}}}? ` : ''}placeholders are ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')} and {{env.NAME}}`,
  });
}

/** The placeholders `text` uses, as written (`to`, `env.ROUTER_TOKEN`). */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => (match[1] ?? '').trim());
}

/**
 * What is wrong with a template, for the runbook schema, so that a typo fails when the runbook is loaded and
 * not at 2am: unknown placeholders, placeholders this template cannot know, env names not allow-listed.
 */
export function templateProblems(
  text: string,
  allowed: { vars: readonly Placeholder[]; env: readonly string[] },
): string[] {
  return placeholdersIn(text).flatMap((name) => {
    if (name.startsWith('env.')) {
      const envName = name.slice(4);
      return allowed.env.includes(envName)
        ? []
        : [`{{${name}}} uses ${envName}, which is not in env: add it to env (secrets come only from there)`];
    }
    if (!isPlaceholder(name)) {
      const guess = closest(name, PLACEHOLDERS);
      return [`unknown placeholder {{${name}}}${guess ? ` (did you mean {{${guess}}}?)` : ''}`];
    }
    if (!allowed.vars.includes(name)) {
      const known = [...allowed.vars.map((v) => `{{${v}}}`), '{{env.NAME}} (NAME listed in env)'];
      return [`{{${name}}} has no value here: use only ${known.join(', ')}`];
    }
    return [];
  });
}

/**
 * Replaces the values of the allow-listed environment variables in `text` by `***`, so that a command or
 * server echoing a token does not put it on the timeline (the compliance record, shown in Slack). Values
 * shorter than 4 characters are left alone: masking every `1` or `ok` would garble the text for nothing.
 */
export function redactEnv(text: string, env: Environment, allowEnv: readonly string[]): string {
  // As the templates read them: a blank one is unset, not a secret whose blanks are masked everywhere.
  return maskSecrets(
    text,
    allowEnv.map((name) => readVariable(env, name)),
  );
}

/**
 * `text` with each secret replaced by `***`: the one rule for every serving layer's credentials (a token, a
 * password, an encoded user:password) quoted back in an answer. Longest first, so that a secret containing
 * another is masked whole; under 4 characters left alone, since masking every `1` or `ok` garbles the text for
 * nothing.
 */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  return secrets
    .filter((secret): secret is string => secret !== undefined && secret.length >= 4)
    .sort((a, b) => b.length - a.length)
    .reduce((out, secret) => out.split(secret).join(MASK), text);
}
