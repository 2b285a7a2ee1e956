import type { z } from 'zod';
import { closest } from '../core/suggest.js';

/** One thing wrong with a runbook, precise enough to fix without reading the schema. */
export interface Problem {
  file: string;
  line?: number;
  /** Dotted path of the field, e.g. `triage.checks.0.max`; empty for the whole file. */
  path: string;
  message: string;
}

/** `file:line: path: message`, the format `rollbot validate` prints. */
export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** A problem found by the schema, before it is placed in a file. */
export interface IssueProblem {
  path: string[];
  message: string;
}

/**
 * Turns a zod issue into sentences a person can act on. Unknown keys, enum values and serving adapters get a
 * "did you mean …?", and a field written at the wrong level the place it belongs; each unknown key is its own
 * problem so that it points at its own line. Parse with
 * `reportInput: true` so that the given values can be quoted back.
 */
export function describeIssue(
  issue: z.core.$ZodIssue,
  fields: SchemaFields,
  writtenAt: (path: string[]) => string | undefined = () => undefined,
): IssueProblem[] {
  const path = issue.path.map(String);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: [...path, key], message: unknownField(key, path, fields) }));
    case 'invalid_value':
      return [{ path, message: notOneOf(issue.input, issue.values.map(String)) }];
    case 'invalid_union': {
      const input = issue.input as Record<string, unknown> | undefined;
      if (
        'discriminator' in issue &&
        typeof issue.discriminator === 'string' &&
        input &&
        typeof input === 'object'
      ) {
        const options = (issue as { options?: unknown[] }).options?.map(String) ?? [];
        const value = input[issue.discriminator];
        const where = path.at(-1) === issue.discriminator ? path : [...path, issue.discriminator];
        return [{ path: where, message: notOneOf(value, options) }];
      }
      return [{ path, message: `${issue.message}${given(issue.input)}` }];
    }
    case 'invalid_type': {
      const expected = issue.message.replace(/^Invalid input: /i, '');
      if (issue.input === undefined) {
        // zod's own "expected string, received undefined" names a type; a field's own message says more.
        const own = /^Invalid input: expected \w+, received undefined$/i.test(issue.message);
        const what = own ? `write it (${KINDS[issue.expected] ?? issue.expected})` : expected;
        return [{ path, message: `missing required field: ${what}` }];
      }
      // Only zod's own message: a field with its own (a duration's "like 30s, 5m") says better what to write.
      const plainText = issue.expected === 'string' && /^Invalid input: expected string/i.test(issue.message);
      if (plainText && ['number', 'boolean'].includes(typeof issue.input)) {
        return [{ path, message: notText(issue.input as number | boolean, writtenAt(path)) }];
      }
      if (issue.expected === 'boolean') return [{ path, message: notBoolean(issue.input) }];
      // zod's "expected number, received Infinity" for YAML's .inf: a number, but not one a field can use.
      if (issue.expected === 'number' && typeof issue.input === 'number') {
        return [{ path, message: `expected a finite number (got ${quote(issue.input)})` }];
      }
      return [{ path, message: `${expected} (got ${quote(issue.input)})` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/**
 * Text written unquoted that YAML reads as a number or a boolean (`env: 012`, `version: 1.10`, `canary: true`): the
 * value read back (12, 1.1) is not what was written, so the fix quotes what was written.
 */
function notText(input: number | boolean, written = String(input)): string {
  const read = typeof input === 'number' ? `the number ${quote(input)}` : 'a boolean';
  return `expected text, but YAML reads ${written} as ${read}: write it in quotes, "${written}"`;
}

/** What a field of each zod type is written as, in a runbook's words. */
const KINDS: Partial<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/** YAML 1.1's booleans, which YAML 1.2 (what is read) takes as text. */
const YAML11_BOOLEANS = new Map(
  Object.entries({ yes: true, on: true, y: true, no: false, off: false, n: false }),
);

/** A boolean field given something else; `dryRun: yes` is told the `true` it meant. */
function notBoolean(input: unknown): string {
  const meant = typeof input === 'string' ? YAML11_BOOLEANS.get(input.trim().toLowerCase()) : undefined;
  if (meant === undefined) return `expected true or false (got ${quote(input)})`;
  return `expected true or false (got ${quote(input)}, which YAML 1.2 reads as text: write ${String(meant)})`;
}

/**
 * A value as the runbook wrote it. JSON has no infinities or NaN (they would read as `null`), so those are spelt
 * as YAML spells them.
 */
function quote(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  }
  return JSON.stringify(value);
}

/**
 * ` (got …)` for a literal that is not one of a union's (tier, severity): `tier: "1"` reads like the 1 the message
 * asks for, so a quoted number is told to lose its quotes. Maps and lists are not quoted back.
 */
function given(input: unknown): string {
  if (typeof input === 'string' && input.trim() !== '' && Number.isFinite(Number(input))) {
    return ` (got ${quote(input)}, a string: write it without quotes)`;
  }
  return ['string', 'number', 'boolean'].includes(typeof input) ? ` (got ${quote(input)})` : '';
}

function notOneOf(given: unknown, allowed: string[]): string {
  const list = allowed.map((value) => `"${value}"`).join(', ');
  if (given === undefined) return `missing: expected one of ${list}`;
  const guess = typeof given === 'string' ? closest(given, allowed) : undefined;
  return `${quote(given)} is not allowed: expected one of ${list}${guess ? ` (did you mean "${guess}"?)` : ''}`;
}

/**
 * Where each field of a schema may be written: field name → the places of the mappings that take it, as dotted
 * paths (`''` for the top level, `triage.checks[]` for the items of a list, `alerts.match.*` for a map's values).
 */
export type SchemaFields = ReadonlyMap<string, ReadonlySet<string>>;

/** The place of a field's mapping as SchemaFields names it: list indexes become `[]`. */
function placeOf(path: readonly string[]): string {
  return path.reduce((place, part) => {
    if (/^\d+$/.test(part)) return `${place}[]`;
    return place === '' ? part : `${place}.${part}`;
  }, '');
}

/** `rollback.policy`, `policy` at the top level. */
const fieldAt = (place: string, key: string): string => (place === '' ? key : `${place}.${key}`);
const placeName = (place: string): string => (place === '' ? 'the top level' : place);

/**
 * Why a field is unknown where it is written, and the fix. A field of another level (`policy` at the top level)
 * is told where it belongs, not "did you mean "policy"?"; a typo is matched with the fields of its own level
 * first, then with those of any level (then saying where that one goes).
 */
function unknownField(key: string, path: readonly string[], fields: SchemaFields): string {
  const here = placeOf(path);
  const places = [...(fields.get(key) ?? [])];
  if (places.includes(here)) {
    // Valid in another form of this block (another serving adapter's field, say), not in this one.
    return `unknown field "${key}" in this kind of ${placeName(here)} (remove it; runbooks/README.md lists the fields of each kind)`;
  }
  if (places.length > 0) {
    const where = places.map((place) => `${placeName(place)} (${fieldAt(place, key)})`).join(' or ');
    return `unknown field "${key}" ${here === '' ? 'at the top level' : `in ${here}`}: it belongs under ${where}`;
  }
  const local = [...fields].filter(([, at]) => at.has(here)).map(([name]) => name);
  const guess = closest(key, local);
  if (guess) return `unknown field "${key}" (did you mean "${guess}"?)`;
  const elsewhere = closest(key, fields.keys());
  const place = elsewhere === undefined ? undefined : [...(fields.get(elsewhere) ?? [])][0];
  if (elsewhere !== undefined && place !== undefined)
    return `unknown field "${key}" (did you mean "${elsewhere}", under ${placeName(place)}: ${fieldAt(place, elsewhere)}?)`;
  return `unknown field "${key}" (remove it; runbooks/README.md lists every field)`;
}

/**
 * Every field of a zod schema with the places it may be written (SchemaFields): for typo suggestions and for
 * telling a misplaced field where it goes. Walks zod's definitions, which are stable across zod 4 minor versions
 * (`_zod.def`).
 */
export function schemaFields(
  schema: z.core.$ZodType,
  place = '',
  into = new Map<string, Set<string>>(),
  seen = new Map<unknown, Set<string>>(),
): Map<string, Set<string>> {
  // The same block (a serving config) may sit at several places; each is walked once.
  const walked = seen.get(schema) ?? new Set<string>();
  if (walked.has(place)) return into;
  walked.add(place);
  seen.set(schema, walked);
  const def = schema._zod.def as unknown as Record<string, unknown>;
  const visit = (child: unknown, at: string): void => {
    if (child && typeof child === 'object' && '_zod' in child)
      schemaFields(child as z.core.$ZodType, at, into, seen);
  };
  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape as Record<string, unknown>)) {
      into.set(key, (into.get(key) ?? new Set<string>()).add(place));
      visit(child, fieldAt(place, key));
    }
  }
  visit(def.element, `${place}[]`);
  visit(def.valueType, fieldAt(place, '*'));
  for (const field of ['innerType', 'in', 'out', 'schema']) visit(def[field], place);
  if (Array.isArray(def.options)) def.options.forEach((option) => visit(option, place));
  return into;
}
