import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../src/core/errors.js';
import { loadRunbooksOrThrow } from '../../src/runbooks/load.js';
import { parseRunbook, type ParseResult } from '../../src/runbooks/parse.js';
import { nextDrills } from '../../src/scheduling/drills.js';
import { fuzzOptions, fuzzTimeout } from './support/checks.js';
import type { AppliedMutation } from './support/hostile-values.js';
import { mutatedRunbook, runbookText, type MutatedRunbook } from './support/runbook-docs.js';

// Issue 8 §4 for runbooks: any file text yields either a valid runbook or problems that name the field and say
// how to fix it (a RollbotError at start-up), never another exception, and never a runbook that fails later.

/** parseRunbook, failing the property with the input when it throws instead of reporting a problem. */
function parse(text: string, file: string): ParseResult {
  try {
    return parseRunbook(text, file);
  } catch (error) {
    throw new Error(`parseRunbook threw instead of reporting a problem: ${String(error)}`, { cause: error });
  }
}

function expectWellFormedProblems(result: ParseResult, file: string): void {
  if (result.ok) return;
  expect(result.problems.length).toBeGreaterThan(0);
  for (const problem of result.problems) {
    expect(problem.file).toBe(file);
    expect(typeof problem.path).toBe('string');
    expect(problem.message.trim()).not.toBe('');
    if (problem.line !== undefined) expect(problem.line).toBeGreaterThanOrEqual(1);
  }
}

/**
 * `a.b.0.c` → `a.b.*.c`: list positions shift when elements are deleted, so they are not compared. Both sides
 * are joined and split on dots, as the loader's paths are, so that keys containing dots compare alike.
 */
const shape = (path: readonly (string | number)[] | string) =>
  (typeof path === 'string' ? path : path.map(String).join('.'))
    .split('.')
    .map((part) => (/^\d+$/.test(part) ? '*' : part));

/** True when one path lies on the other (equal, or one inside the other). */
function onPath(problemPath: string, touched: readonly (string | number)[]): boolean {
  const [a, b] = [shape(problemPath), shape(touched)];
  const length = Math.min(a.length, b.length);
  return a.slice(0, length).every((part, i) => part === b[i]);
}

function touchedPaths(applied: readonly AppliedMutation[]) {
  return applied.flatMap((change) => (change.from ? [change.path, change.from] : [change.path]));
}

/** A runbook the loader accepts must work where it is used later: the drill calendar and alert routing. */
function expectUsable(result: Extract<ParseResult, { ok: true }>, input: Record<string, unknown>): void {
  expect(() => nextDrills(result.runbook, 1), 'an accepted drill schedule and time zone').not.toThrow();
  const written = (input.alerts as { match?: unknown } | undefined)?.match;
  if (written && typeof written === 'object' && !Array.isArray(written)) {
    // A label that vanished would widen the matcher; an empty one routes every alert to this model.
    expect(Object.keys(result.runbook.match).sort(), 'alerts.match as written').toEqual(
      Object.keys(written).sort(),
    );
  }
}

describe('the runbook loader under hostile files', { timeout: fuzzTimeout(5_000) }, () => {
  it('reports problems for any text, never throws', () => {
    fc.assert(
      fc.property(runbookText, (text) => expectWellFormedProblems(parse(text, 'any.yml'), 'any.yml')),
      fuzzOptions(300, 4_000),
    );
  });

  it('rejects a mutated example runbook naming a mutated field, or accepts one that works', () => {
    fc.assert(
      fc.property(mutatedRunbook(), ({ file, text, input, applied }: MutatedRunbook) => {
        const result = parse(text, file);
        expectWellFormedProblems(result, file);
        if (result.ok) return expectUsable(result, input);
        const touched = touchedPaths(applied);
        for (const problem of result.problems) {
          const related = touched.some((path) => onPath(problem.path, path));
          expect(
            related,
            `"${problem.path}: ${problem.message}" is about none of ${JSON.stringify(touched)}`,
          ).toBe(true);
        }
        for (const change of applied.filter((one) => one.typo)) {
          const named = result.problems.find((problem) => problem.path === change.path.join('.'));
          expect(named?.message, `the typo ${change.path.join('.')}`).toMatch(/did you mean/);
        }
      }),
      fuzzOptions(200, 5_000),
    );
  });

  it('stops start-up with a RollbotError naming the file, or loads the runbook', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rollbot-fuzz-runbooks-'));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            mutatedRunbook(),
            runbookText.map((text) => ({ file: 'any.yml', text })),
          ),
          async ({ file, text }) => {
            const runDir = await mkdtemp(join(dir, 'run-'));
            await writeFile(join(runDir, file), text);
            const loaded = await loadRunbooksOrThrow(runDir).then(
              ({ runbooks }) => ({ runbooks }),
              (error: unknown) => ({ error }),
            );
            if ('runbooks' in loaded) return void expect(loaded.runbooks).toHaveLength(1);
            expect(isRollbotError(loaded.error, 'INVALID_RUNBOOK'), String(loaded.error)).toBe(true);
            expect((loaded.error as Error).message).toContain(join(runDir, file));
          },
        ),
        fuzzOptions(80, 4_000),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
