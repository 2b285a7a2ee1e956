import type { z } from 'zod';
import { RollbotError } from '../core/errors.js';
import { closest } from '../core/suggest.js';

/** One failing field of an alert body, as returned to the sender in a 400. */
export interface FieldProblem {
  /** Where the field is, e.g. `alerts[0].startsAt`; `(body)` for the body as a whole. */
  path: string;
  message: string;
}

/** How to word a failed parse: what was being parsed, what to do, and which keys exist (for typo hints). */
export interface ValidationErrorOptions {
  /** What the body was meant to be, e.g. "Alertmanager webhook body". */
  what: string;
  hint?: string;
  /** Every key the format allows, so that an unknown key gets a "did you mean …?". */
  knownKeys?: Iterable<string>;
}

// A body of 1000 broken alerts must not turn into a megabyte-long error: the sender fixes the first few and
// retries. The message stays one readable line; details carry more for tooling.
const MAX_PROBLEMS_IN_MESSAGE = 10;
const MAX_PROBLEMS_IN_DETAILS = 100;

/**
 * Converts a failed parse into `RollbotError('BAD_REQUEST')`. The message names every failing field by path
 * (`alerts[0].startsAt: expected an RFC3339 timestamp …`); `details` is the same list as
 * `{path, message}[]` for the HTTP layer to return in the 400. Parse with {@link parseAlertBody} (or with
 * `reportInput: true` and {@link alertErrorMap}) so that the messages can say what was received.
 */
export function alertValidationError(error: z.ZodError, options: ValidationErrorOptions): RollbotError {
  const problems = error.issues.flatMap((issue) => describe(issue, options.knownKeys));
  const shown = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE).map((p) => `${p.path}: ${p.message}`);
  const more = problems.length - shown.length;
  const message =
    `invalid ${options.what}: ${shown.join('; ')}` + (more > 0 ? ` (and ${more} more problems)` : '');
  return new RollbotError('BAD_REQUEST', message, {
    hint: options.hint ?? 'fix the fields named above and send the request again',
    details: problems.slice(0, MAX_PROBLEMS_IN_DETAILS),
    cause: error,
  });
}

/**
 * Validates `body` against `schema` and returns the typed result, or throws the BAD_REQUEST error built by
 * {@link alertValidationError}. Never returns a partial result.
 */
export function parseAlertBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  options: ValidationErrorOptions,
): z.output<S> {
  const result = schema.safeParse(body, { reportInput: true, error: alertErrorMap });
  if (!result.success) throw alertValidationError(result.error, options);
  return result.data;
}

/** Where a webhook body belongs, for {@link refuseGenericAlert}: `what` as in ValidationErrorOptions. */
export interface WebhookRoute {
  what: string;
  /** The body the route takes, with its article: "an Alertmanager webhook body". */
  takes: string;
  route: string;
}

/**
 * A generic alert (`{model, severity, summary}`, or an array of them) sent to a webhook route by mistake: one
 * problem naming `/alerts`, instead of "version: missing" with advice about a payload template the sender has
 * none of.
 */
export function refuseGenericAlert(body: unknown, { what, takes, route }: WebhookRoute): void {
  const first: unknown = Array.isArray(body) ? body[0] : body;
  if (typeof first !== 'object' || first === null || Array.isArray(first)) return;
  if (!Object.hasOwn(first, 'model') || Object.hasOwn(first, 'alerts')) return;
  const message = `this looks like a generic alert ({"model", "severity", "summary"}), not ${takes}; send it to /alerts`;
  throw new RollbotError('BAD_REQUEST', `invalid ${what}: (body): ${message}`, {
    hint: `POST generic alerts to /alerts; ${route} takes ${takes}`,
    details: [{ path: '(body)', message }],
  });
}

/**
 * Messages that say what was expected and what came instead, for the issues schemas do not word themselves.
 * Returning undefined falls back to zod's own message.
 */
export const alertErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return mismatch(EXPECTED[issue.expected] ?? issue.expected, issue.input);
    case 'invalid_value':
      return mismatch(issue.values.map((value) => JSON.stringify(value)).join(' or '), issue.input);
    default:
      return undefined;
  }
};

/**
 * A schema-level `error` for type mismatches that names the expected thing in the sender's terms, e.g.
 * `expected('an RFC3339 timestamp like "2026-11-22T01:42:04Z"')`. Other issues keep their own messages.
 */
export function expected(phrase: string): z.core.$ZodErrorMap {
  return (issue) => (issue.code === 'invalid_type' ? mismatch(phrase, issue.input) : undefined);
}

/** `missing: expected …` when the field is absent, `expected …, got …` when it has the wrong value. */
export function mismatch(phrase: string, input: unknown): string {
  return input === undefined ? `missing: expected ${phrase}` : `expected ${phrase}, got ${received(input)}`;
}

const EXPECTED: Partial<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a JSON object',
  record: 'a JSON object of string values',
  array: 'an array',
};

/** A key short enough to quote back: its first 60 characters and a count of the rest. */
function shorten(key: string): string {
  return key.length <= 60 ? key : `${key.slice(0, 60)}… (${key.length} characters)`;
}

/** The received value, short enough to quote back: small scalars verbatim, everything else by kind. */
function received(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  switch (typeof input) {
    case 'string':
      return input.length <= 40 ? JSON.stringify(input) : `a string (${JSON.stringify(input.slice(0, 40))}…)`;
    case 'number':
    case 'boolean':
      return String(input);
    case 'object':
      return 'an object';
    default:
      return typeof input;
  }
}

function describe(issue: z.core.$ZodIssue, knownKeys: Iterable<string> | undefined): FieldProblem[] {
  if (issue.code === 'unrecognized_keys') {
    // One problem per key, each at its own path, so that every typo is named where it is.
    // Hostile bodies send thousands of keys, or megabyte-long ones: only the reported ones get a typo hint,
    // and every key is quoted back shortened.
    const vocabulary = [...(knownKeys ?? [])];
    return issue.keys.map((key, index) => {
      const guess = index < MAX_PROBLEMS_IN_DETAILS ? closest(key, vocabulary) : undefined;
      const fix = guess
        ? `did you mean "${guess}"?`
        : vocabulary.length > 0
          ? `remove it; allowed fields: ${vocabulary.join(', ')}`
          : 'remove it';
      const shown = shorten(key);
      return { path: formatPath([...issue.path, shown]), message: `unknown field "${shown}" (${fix})` };
    });
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

/** `alerts[0].labels["app.kubernetes.io/name"]`: the path as a JavaScript accessor, `(body)` for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment))
      text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text || '(body)';
}
