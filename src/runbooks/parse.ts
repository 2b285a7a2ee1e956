/** One runbook file's text, parsed and checked: YAML first (with each problem's line), then the schema. */
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Pair,
  type Scalar,
  type YAMLError,
  type YAMLWarning,
} from 'yaml';
import { describeIssue, schemaFields, type Problem } from './problems.js';
import { runbookSchema, type Runbook } from './schema.js';

const FIELDS = schemaFields(runbookSchema);

/**
 * How many nodes aliases may expand to in one runbook (yaml's own default, set here on purpose): reusing an
 * anchor a few times is normal, while aliases of aliases of lists ("billion laughs") would exhaust memory.
 */
const MAX_ALIAS_COUNT = 100;

export type ParseResult =
  | {
      ok: true;
      runbook: Runbook;
      /** The line of a field (or of its nearest written parent), for problems found across files. */
      lineOf: (path: string[]) => number | undefined;
    }
  | { ok: false; problems: Problem[] };

/** Parses and validates one runbook file's text. Every problem is reported, not just the first. */
export function parseRunbook(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *prod`) are read as YAML 1.1 defined them: without, `<<` was an unknown field whose fix
  // ("remove it") left the block without the fields it was meant to bring, loading on the defaults instead.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((error) => yamlProblem(doc, lineCounter, error, file)) };
  }
  const unknownTags = doc.warnings.filter((warning) => warning.code === 'TAG_RESOLVE_FAILED');
  if (unknownTags.length > 0) {
    return {
      ok: false,
      problems: unknownTags.map((warning) => tagProblem(doc, text, lineCounter, warning, file)),
    };
  }
  const converted = toData(doc, lineCounter, file);
  if (!converted.ok) return { ok: false, problems: [converted.problem] };
  const { data } = converted;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      problems: [{ file, line: 1, path: '', message: 'a runbook is a YAML mapping (model: …, serving: …)' }],
    };
  }
  const parsed = runbookSchema.safeParse(data, { reportInput: true });
  if (parsed.success) {
    return { ok: true, runbook: parsed.data, lineOf: (path) => lineOf(doc, lineCounter, path) };
  }
  // zod reports a mapping's unknown keys after its fields: read top to bottom, as a person fixes them.
  const byLine = (a: Problem, b: Problem): number => (a.line ?? Infinity) - (b.line ?? Infinity);
  return {
    ok: false,
    problems: parsed.error.issues
      .flatMap((issue) =>
        describeIssue(issue, FIELDS, (path) => writtenAt(doc, path)).map(({ path, message }) => {
          const problem: Problem = { file, path: path.join('.'), message };
          const line = lineOf(doc, lineCounter, path);
          if (line !== undefined) problem.line = line;
          return problem;
        }),
      )
      .sort(byLine),
  };
}

/**
 * A YAML error in the runbook's words. yaml's own messages name neither the key written twice nor a fix a person
 * can make ("Map keys must be unique"; "… please use YAML.parseAllDocuments()"): those two are said here.
 */
function yamlProblem(doc: Document, lineCounter: LineCounter, error: YAMLError, file: string): Problem {
  const line = lineCounter.linePos(error.pos[0]).line;
  if (error.code === 'DUPLICATE_KEY') {
    const twice = keyAt(doc.contents, error.pos[0], []);
    if (twice) {
      const first = lineCounter.linePos(twice.first).line;
      return {
        file,
        line,
        path: twice.path.join('.'),
        message: `written twice (first on line ${first}): keep one and remove the other`,
      };
    }
  }
  if (error.code === 'MULTIPLE_DOCS') {
    return {
      file,
      line,
      path: '',
      message:
        'a runbook file holds one YAML document (one model): remove this "---" and what follows it, or move it to a file of its own, named <model>.yml',
    };
  }
  const fix = YAML_FIXES[error.code];
  return {
    file,
    line,
    path: '',
    message: `not valid YAML: ${error.message.split('\n')[0]}${fix ? `; ${fix}` : ''}`,
  };
}

/** The fix of the YAML errors a first runbook makes, which yaml's message states but does not say how to mend. */
const YAML_FIXES: Partial<Record<YAMLError['code'], string>> = {
  // `owner: @fraud-ml`, as the README's examples are written but without their quotes.
  BAD_SCALAR_START: 'put the value in quotes, like owner: "@fraud-ml"',
  TAB_AS_INDENT: 'indent with spaces',
};

/**
 * A tag yaml does not know (`owner: !Ref OwnerTeam`, `query: !Sub …`, habits of templates): yaml only warns and
 * loads the text after it, so the runbook would load with a value nobody meant.
 */
function tagProblem(
  doc: Document,
  text: string,
  lineCounter: LineCounter,
  warning: YAMLWarning,
  file: string,
): Problem {
  const [start, end] = warning.pos;
  const tag = text.slice(start, end);
  return {
    file,
    line: lineCounter.linePos(start).line,
    path: (taggedAfter(doc.contents, end, []) ?? []).join('.'),
    message: `the tag ${tag} is not one rollbot reads (runbooks are plain YAML, not a template): write the value itself, without the tag`,
  };
}

/** The path of the first node starting at or after `offset` (the node a tag ending there is written on). */
function taggedAfter(node: unknown, offset: number, path: string[]): string[] | undefined {
  const starts = (child: unknown): boolean =>
    isNode(child) && child.range !== undefined && child.range !== null && child.range[0] >= offset;
  if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      if (starts(item)) return [...path, String(index)];
      const found = taggedAfter(item, offset, [...path, String(index)]);
      if (found) return found;
    }
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? keyName(pair.key) : '';
    if (starts(pair.value) && !starts(pair.key)) return [...path, key];
    if (starts(pair.key)) return path;
    const found = taggedAfter(pair.value, offset, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** The path of the mapping key that starts at `offset`, and where the first key of its name starts. */
function keyAt(node: unknown, offset: number, path: string[]): { path: string[]; first: number } | undefined {
  if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const found = keyAt(item, offset, [...path, String(index)]);
      if (found) return found;
    }
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? keyName(pair.key) : undefined;
    if (key !== undefined && isScalar(pair.key) && pair.key.range?.[0] === offset) {
      const first = node.items.find((other) => isScalar(other.key) && keyName(other.key) === key);
      return { path: [...path, key], first: (first?.key as Scalar | undefined)?.range?.[0] ?? offset };
    }
    const found = keyAt(pair.value, offset, key === undefined ? path : [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * The document as plain data. yaml resolves aliases only here, so an alias to an anchor that does not exist (or
 * is defined after it) and an alias bomb throw here rather than showing up in `doc.errors`.
 */
function toData(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
): { ok: true; data: unknown } | { ok: false; problem: Problem } {
  try {
    return { ok: true, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    const merge = badMerge(doc);
    if (merge?.key.range) {
      const at = keyAt(doc.contents, merge.key.range[0], []);
      return {
        ok: false,
        problem: {
          file,
          line: lineCounter.linePos(merge.key.range[0]).line,
          path: at?.path.join('.') ?? '<<',
          message: `a merge key (<<) takes a mapping or an alias of one (<<: *name), not ${merge.written}`,
        },
      };
    }
    const { broken, first } = aliases(doc);
    const message = broken
      ? `the alias *${broken.source} names no anchor: define &${broken.source} before it, or fix the name`
      : /alias/i.test((error as Error).message)
        ? `aliases expand to more than ${MAX_ALIAS_COUNT} nodes: write the values out instead of nesting aliases`
        : `cannot read the YAML: ${(error as Error).message}`;
    const offset = (broken ?? first)?.range?.[0];
    return {
      ok: false,
      problem: { file, line: offset === undefined ? 1 : lineCounter.linePos(offset).line, path: '', message },
    };
  }
}

/** yaml's merge key: its value is a symbol, so that a quoted "<<" stays an ordinary key. */
const isMergeKey = (node: unknown): node is Scalar => isScalar(node) && typeof node.value === 'symbol';

/** A key as a path names it. */
const keyName = (node: Scalar): string => (typeof node.value === 'symbol' ? '<<' : String(node.value));

/** The first merge key whose value is no mapping, no alias and no list of them (`<<: 5`), which yaml throws on. */
function badMerge(doc: Document): { key: Scalar; written: string } | undefined {
  let found: { key: Scalar; written: string } | undefined;
  const mergeable = (node: unknown): boolean => isMap(node) || isAlias(node);
  visit(doc, {
    Pair(_key, pair: Pair) {
      if (!isMergeKey(pair.key)) return undefined;
      const { value } = pair;
      if (mergeable(value) || (isSeq(value) && value.items.every(mergeable))) return undefined;
      found = {
        key: pair.key,
        written: isScalar(value) ? JSON.stringify(value.value) : 'a list of other values',
      };
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * The first alias of the document, and the first with no anchor of its name before it (in document order, as
 * yaml resolves them), for the line of the problem.
 */
function aliases(doc: Document): { broken?: Alias; first?: Alias } {
  const anchors = new Set<string>();
  const found: { broken?: Alias; first?: Alias } = {};
  visit(doc, {
    Node(_key, node) {
      if (!isAlias(node)) {
        if (node.anchor) anchors.add(node.anchor);
        return undefined;
      }
      found.first ??= node;
      if (anchors.has(node.source)) return undefined;
      found.broken = node;
      return visit.BREAK;
    },
  });
  return found;
}

/** A scalar's text as the runbook wrote it (`012`, not the 12 YAML read), for problems that quote it back. */
function writtenAt(doc: Document, path: string[]): string | undefined {
  const node = doc.getIn(path, true);
  return isScalar(node) ? node.source : undefined;
}

/** The line of the deepest node along `path` that exists in the document (the parent of a missing key). */
function lineOf(doc: Document, lineCounter: LineCounter, path: string[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
