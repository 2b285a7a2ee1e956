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
 * "did you mean …?"; each unknown key is its own problem so that it points at its own line. Parse with
 * `reportInput: true` so that the given values can be quoted back.
 */
export function describeIssue(issue: z.core.$ZodIssue, vocabulary: ReadonlySet<string>): IssueProblem[] {
  const path = issue.path.map(String);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const guess = closest(key, vocabulary);
        const fix = guess ? `did you mean "${guess}"?` : 'remove it; runbooks/README.md lists every field';
        return { path: [...path, key], message: `unknown field "${key}" (${fix})` };
      });
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
      return [{ path, message: issue.message }];
    }
    case 'invalid_type':
      return [
        {
          path,
          message:
            issue.input === undefined
              ? `missing required field: ${issue.message.replace(/^Invalid input: /i, '')}`
              : `${issue.message.replace(/^Invalid input: /i, '')} (got ${JSON.stringify(issue.input)})`,
        },
      ];
    default:
      return [{ path, message: issue.message }];
  }
}

function notOneOf(given: unknown, allowed: string[]): string {
  const list = allowed.map((value) => `"${value}"`).join(', ');
  if (given === undefined) return `missing: expected one of ${list}`;
  const guess = typeof given === 'string' ? closest(given, allowed) : undefined;
  return `${JSON.stringify(given)} is not allowed: expected one of ${list}${guess ? ` (did you mean "${guess}"?)` : ''}`;
}

/**
 * Every object key anywhere in a zod schema: the words a runbook may use, for typo suggestions. Walks zod's
 * definitions, which are stable across zod 4 minor versions (`_zod.def`).
 */
export function schemaKeys(
  schema: z.core.$ZodType,
  into = new Set<string>(),
  seen = new Set<unknown>(),
): Set<string> {
  if (seen.has(schema)) return into;
  seen.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown>;
  const visit = (child: unknown): void => {
    if (child && typeof child === 'object' && '_zod' in child)
      schemaKeys(child as z.core.$ZodType, into, seen);
  };
  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape as Record<string, unknown>)) {
      into.add(key);
      visit(child);
    }
  }
  for (const field of ['innerType', 'element', 'in', 'out', 'valueType', 'schema']) visit(def[field]);
  if (Array.isArray(def.options)) def.options.forEach(visit);
  return into;
}
