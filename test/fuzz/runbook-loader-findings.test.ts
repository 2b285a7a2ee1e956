import { describe, expect, it } from 'vitest';
import { routeAlert } from '../../src/core/routing.js';
import { parseRunbook, type ParseResult } from '../../src/runbooks/parse.js';
import { nextDrills } from '../../src/scheduling/drills.js';
import { runbookYaml } from '../helpers/engine.js';

// Minimal reproductions of what the runbook-loader fuzzing (runbook-loader.test.ts) found, one test per
// finding. They fail until src/ is fixed.

/** The problem at `path`, when the runbook was refused. */
function problemAt(result: ParseResult, path: string) {
  return result.ok ? undefined : result.problems.find((problem) => problem.path === path);
}

// src/runbooks/load.ts parseRunbook(): yaml reports alias problems when the document is converted (doc.toJS()),
// not in doc.errors, and that call is not guarded: the ReferenceError escapes, so `rollbot validate` and
// start-up fail with a bare exception instead of "file:line: what is wrong".
describe('a runbook whose YAML aliases cannot be resolved', () => {
  it('reports an alias to an anchor that does not exist (a typo in the anchor name) as a problem', () => {
    const text = `${runbookYaml('fraud-scorer')}rollback: { policy: auto, approvers: *oncall }\n`;
    let result: ParseResult | undefined;
    expect(() => (result = parseRunbook(text, 'fraud-scorer.yml'))).not.toThrow();
    expect(result?.ok).toBe(false);
  });

  it('reports aliases that expand past the limit ("billion laughs") as a problem', () => {
    const text = [
      'a: &a [x, x, x]',
      'b: &b [*a, *a, *a]',
      'c: &c [*b, *b, *b]',
      'd: &d [*c, *c, *c]',
      'e: [*d, *d, *d]',
    ];
    let result: ParseResult | undefined;
    expect(() => (result = parseRunbook(text.join('\n'), 'any.yml'))).not.toThrow();
    expect(result?.ok).toBe(false);
  });
});

// src/runbooks/schema.ts: drill.schedule and drill.timezone are plain strings. A runbook with a schedule that is
// not a cron expression, or a time zone that does not exist, is accepted at start-up; src/scheduling/drills.ts
// nextDrills() then throws (RollbotError for the schedule, a bare RangeError for the time zone) in the hourly
// planner, where planDrills() stops at the first bad runbook: no model after it gets its drills planned.
describe('a runbook whose drill cannot be scheduled', () => {
  it.each([
    ['drill.schedule', 'drill: { schedule: "every other tuesday", dryRun: true }'],
    ['drill.timezone', 'drill: { timezone: "Mars/Olympus_Mons", dryRun: true }'],
  ])('is refused at load, naming %s', (path, yaml) => {
    const result = parseRunbook(runbookYaml('fraud-scorer', yaml), 'fraud-scorer.yml');
    if (result.ok) expect(() => nextDrills(result.runbook, 1)).not.toThrow();
    expect(problemAt(result, path), `a problem at ${path}`).toBeDefined();
  });
});

// zod's record (src/runbooks/schema.ts, alerts.match) copies keys by assignment, so a label named `__proto__`
// sets the copy's prototype instead of a key and vanishes. `alerts: { match: { __proto__: x } }` loads as an
// empty matcher, which src/core/routing.ts routeAlert() lets match every alert: this model would take the
// incidents (and, with policy auto, the rollbacks) of every model without a runbook of its own.
describe('a runbook whose alerts.match names the label __proto__', () => {
  it('is not loaded as a catch-all', () => {
    const result = parseRunbook(
      runbookYaml('fraud-scorer', 'alerts: { match: { __proto__: fraud } }'),
      'fraud-scorer.yml',
    );
    if (!result.ok) return void expect(problemAt(result, 'alerts.match.__proto__')).toBeDefined();
    expect(routeAlert({ model: 'some-other-model' }, [result.runbook])).toBeUndefined();
  });
});
