import fc from 'fast-check';

/** Keys every plain object answers to: `map[value]` finds these even when the map does not define them. */
export const PROTOTYPE_MEMBERS = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
] as const;

/**
 * Strings that have broken parsers and lookups before: prototype members (a `map[value]` lookup finds them),
 * numbers and keywords in disguise, blanks, control and bidi characters, a lone surrogate, injection-looking
 * text, and the two model names the fuzzed bot knows (so that hostile input also reaches the engine).
 */
export const TRICKY_STRINGS = [
  ...PROTOTYPE_MEMBERS,
  'prototype',
  '',
  ' ',
  '\t\n',
  'NaN',
  'Infinity',
  '-0',
  '1e999',
  '0x1F',
  'null',
  'undefined',
  'true',
  '\u0000',
  '\u202eevil',
  '\ud83d\udd25\u200d',
  '\ud800',
  '%s%n%x',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '{{ .Labels.model }}',
  "'; DROP TABLE incidents; --",
  'INC-999',
  'fraud-scorer',
  'FRAUD-SCORER',
  ' fraud-scorer ',
  'churn-predictor',
  'critical',
  '0001-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '9999-12-31T23:59:59.999999999Z',
  '1970-01-01T00:00:00+23:59',
] as const;

export const trickyString = fc.constantFrom(...TRICKY_STRINGS);

/**
 * Long enough to matter (messages, Redis values, Slack limits): up to 480 KB as UTF-8, 1.4 MB form-encoded, so a
 * body of several can pass a route's size limit (the Slack route's 4 MB) and be refused as too large.
 */
export const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 120_000 }), fc.constantFrom('x', 'é', '\ud83d\udd25', '\u0301'))
  .map(([length, unit]) => unit.repeat(length));

/** Any string a sender could put in a JSON field. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: trickyString },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: hugeString },
);

/**
 * `[[[…]]]` or `{"a":{"a":…}}` hundreds deep, inside a field: recursion in validators. (Deeper documents are
 * built as text, in alert-bodies.ts: the test's own JSON.stringify would overflow first.)
 */
export const deepNesting: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 50, max: 500 }), fc.boolean())
  .map(([depth, asArray]) => {
    let value: unknown = 'bottom';
    for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
    return value;
  });

/** A value of any JSON type, biased towards the ones that break schemas. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, [], {}) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepNesting },
);

/** One change to a JSON document: where (an index into its paths, taken modulo their count) and what. */
export type Mutation =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'rename'; at: number; key: string }
  | { op: 'add'; at: number; key: string; value: unknown };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: hostileValue }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('rename' as const), at: fc.nat(), key: hostileString }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: hostileString, value: hostileValue }),
);

type Container = Record<string, unknown> | unknown[];
type Path = (string | number)[];
type Slot = { parent: Container; key: string | number; path: Path };

/** Sets an own property even for `__proto__`, which plain assignment would turn into a prototype change. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** Every field and element of a document, parents before children. */
function slots(document: unknown, path: Path = [], into: Slot[] = []): Slot[] {
  if (!isContainer(document)) return into;
  const keys: (string | number)[] = Array.isArray(document)
    ? document.map((_, i) => i)
    : Object.keys(document);
  for (const key of keys) {
    into.push({ parent: document, key, path: [...path, key] });
    slots((document as Record<string | number, unknown>)[key], [...path, key], into);
  }
  return into;
}

/** A mutation as applied: what it did and the path of the field it touched (for `rename`, the new key). */
export interface AppliedMutation {
  op: Mutation['op'];
  path: Path;
  /** For `rename`: the key's old path, now missing. */
  from?: Path;
  /** The new name is a near miss of the old one (a person's typo), so the loader should suggest the old one. */
  typo?: boolean;
}

/**
 * `document` with the mutations applied in order, on a copy (the valid original stays valid), and where each
 * one landed. A mutation that found nothing to change (a rename inside a list) is left out of `applied`.
 */
export function mutate<T>(
  document: T,
  mutations: readonly Mutation[],
): { document: unknown; applied: AppliedMutation[] } {
  const copy = structuredClone(document) as unknown;
  const applied: AppliedMutation[] = [];
  for (const planned of mutations) {
    // Each inserted value a copy of its own: fc.constantFrom hands out the same `[]` and `{}` to every run, and an
    // `add` into one that an earlier `set` placed would change the constant for later runs, or (adding it to
    // itself) make the document a cycle that YAML cannot write.
    const change = 'value' in planned ? { ...planned, value: structuredClone(planned.value) } : planned;
    const all = slots(copy);
    const slot = all[change.at % Math.max(all.length, 1)];
    if (!slot) continue;
    const parent = slot.parent as Record<string | number, unknown>;
    const current = parent[slot.key];
    const parentPath = slot.path.slice(0, -1);
    switch (change.op) {
      case 'set':
        parent[slot.key] = change.value;
        applied.push({ op: 'set', path: slot.path });
        break;
      case 'delete':
        if (Array.isArray(slot.parent)) slot.parent.splice(Number(slot.key), 1);
        else delete parent[slot.key];
        applied.push({ op: 'delete', path: slot.path });
        break;
      case 'rename':
        if (Array.isArray(slot.parent)) break;
        delete parent[slot.key];
        setOwn(parent, change.key, current);
        applied.push({ op: 'rename', path: [...parentPath, change.key], from: slot.path });
        break;
      case 'add':
        if (Array.isArray(current)) {
          applied.push({ op: 'add', path: [...slot.path, current.length] });
          current.push(change.value);
        } else if (isContainer(current)) {
          setOwn(current as Record<string, unknown>, change.key, change.value);
          applied.push({ op: 'add', path: [...slot.path, change.key] });
        } else if (!Array.isArray(slot.parent)) {
          setOwn(parent, change.key, change.value);
          applied.push({ op: 'add', path: [...parentPath, change.key] });
        }
        break;
    }
  }
  return { document: copy, applied };
}

/** {@link mutate}, for callers that only need the document. */
export function applyMutations<T>(document: T, mutations: readonly Mutation[]): unknown {
  return mutate(document, mutations).document;
}
