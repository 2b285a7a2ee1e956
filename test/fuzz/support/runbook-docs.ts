import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { hostileString, mutate, mutation, type AppliedMutation } from './hostile-values.js';

const EXAMPLES_DIR = new URL('../../../runbooks/', import.meta.url);

/** The example runbooks shipped in runbooks/, parsed: valid starting points that use most of the format. */
export function exampleRunbooks(): { file: string; data: Record<string, unknown> }[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((file) => ({
      file,
      data: parse(readFileSync(new URL(file, EXAMPLES_DIR), 'utf8')) as Record<string, unknown>,
    }));
}

/** A runbook file's text and where it came from. */
export interface RunbookFile {
  /** `<model>.yml`, named after the example it was mutated from. */
  file: string;
  text: string;
}

/** An example runbook with one to three mutations: typos in keys, wrong types, missing or extra fields. */
export interface MutatedRunbook extends RunbookFile {
  input: Record<string, unknown>;
  applied: AppliedMutation[];
}

export function mutatedRunbook(): fc.Arbitrary<MutatedRunbook> {
  const examples = exampleRunbooks();
  // A typo is the likeliest mistake: a key one edit away from a real one (dropped, doubled or swapped letter).
  const typo = fc
    .tuple(fc.nat(), fc.constantFrom('drop', 'double', 'swap'))
    .map(([at, kind]) => ({ at, kind }));
  return fc
    .tuple(fc.constantFrom(...examples), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.option(typo))
    .map(([example, changes, misspell]) => {
      const { document, applied } = mutate(example.data, changes);
      const input = document as Record<string, unknown>;
      const typo = misspell ? misspellKey(input, Object.keys(example.data), misspell) : undefined;
      if (typo) applied.push(typo);
      return { file: example.file, text: stringify(input), input, applied };
    });
}

/**
 * Renames one of the runbook's real top-level fields to a near miss of itself, as a person typing it might
 * (nothing when no real field is left, or the near miss comes out equal to a field).
 */
function misspellKey(
  input: Record<string, unknown>,
  fields: readonly string[],
  { at, kind }: { at: number; kind: string },
): AppliedMutation | undefined {
  const keys = Object.keys(input).filter((key) => fields.includes(key));
  const key = keys[at % Math.max(keys.length, 1)];
  if (key === undefined || key.length < 2) return undefined;
  const i = 1 + (at % Math.max(key.length - 2, 1));
  const typo =
    kind === 'drop'
      ? key.slice(0, i) + key.slice(i + 1)
      : kind === 'double'
        ? key.slice(0, i) + key.charAt(i) + key.slice(i)
        : key.slice(0, i - 1) + key.charAt(i) + key.charAt(i - 1) + key.slice(i + 1);
  if (typo === key || typo in input) return undefined;
  const value = input[key];
  delete input[key];
  Object.defineProperty(input, typo, { value, enumerable: true, writable: true, configurable: true });
  return { op: 'rename', path: [typo], from: [key], typo: true };
}

/** YAML's own syntax, to build text that is almost YAML, or YAML with features a runbook never needs. */
const YAML_TOKENS = [
  'model: ',
  'serving: ',
  'triage:',
  '  checks:',
  '- ',
  '  ',
  '\n',
  ': ',
  '{',
  '}',
  '[',
  ']',
  ',',
  '"',
  "'",
  '&a ',
  '*a',
  '*b',
  '<<: *a',
  '!!js/function ',
  '!!binary ',
  '!!set ',
  '!custom ',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '? ',
  '|\n',
  '>-\n',
  '#',
  '\t',
  '~',
  '.inf',
  '0x1F',
  '2001-12-14',
] as const;

/** Text that a runbook file could contain after a bad merge, a wrong copy-paste, or an attacker. */
export const runbookText: fc.Arbitrary<string> = fc.oneof(
  fc
    .array(fc.oneof(fc.constantFrom(...YAML_TOKENS), hostileString), { maxLength: 30 })
    .map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((value) => stringify(value)),
  // Aliases that expand exponentially ("billion laughs"): the parser must refuse, not hang or throw.
  fc.integer({ min: 2, max: 12 }).map((width) => {
    const row = (name: string, item: string) => `${name}: &${name} [${Array(width).fill(item).join(', ')}]`;
    return [row('a', 'x'), row('b', '*a'), row('c', '*b'), row('d', '*c'), row('e', '*d')].join('\n');
  }),
);
