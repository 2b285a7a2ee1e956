import type { z } from 'zod';
import { alertErrorMap } from '../alerts/errors.js';
import { RollbotError } from '../core/errors.js';
import { closest } from '../core/suggest.js';

/**
 * Validates a request body, or answers BAD_REQUEST naming each failing field (and the likely fix for a
 * misspelt key), with the list in `details`.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  // Worded as the alert routes word it (`reason: missing: expected a string`), not zod's
  // `Invalid input: expected string, received undefined`; a schema's own messages still come first.
  const result = schema.safeParse(body, { reportInput: true, error: alertErrorMap });
  if (result.success) return result.data;
  const known = knownKeys(schema);
  let unguessed = false;
  const problems = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => {
          const guess = closest(key, known);
          if (!guess) unguessed = true;
          return { path: key, message: `unknown field${guess ? ` (did you mean "${guess}"?)` : ''}` };
        })
      : [{ path: issue.path.join('.') || '(body)', message: issue.message }],
  );
  // No near miss (`prevVersion`): the caller needs the names to choose from, not only which one is wrong. Said
  // once, however many keys are unknown.
  const allowed = unguessed ? ` (allowed fields: ${known.join(', ')})` : '';
  throw new RollbotError(
    'BAD_REQUEST',
    `invalid ${what}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}${allowed}`,
    {
      hint: 'fix the fields named above; nothing was changed',
      details: problems,
    },
  );
}

function knownKeys(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}
