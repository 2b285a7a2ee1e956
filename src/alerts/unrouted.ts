import { closest } from '../core/suggest.js';
import { effectiveMatch, type Routable } from '../core/routing.js';

/** How many labels and runbooks a reason names: it is one line of an answer, not an inventory. */
const NAMED = 5;
const MODELS_NAMED = 10;

/**
 * Why an alert matched no runbook, for its `unrouted` result: the label a runbook wants otherwise when the alert's
 * value is that one off by case or a typo (`Fraud-Scorer`, `fraud-scorr`), else what the alert has of the labels
 * the runbooks route on, and which runbooks there are. Runs only for alerts that matched none.
 */
export function unroutedReason(
  labels: Readonly<Record<string, string>>,
  runbooks: readonly Routable[],
): string {
  return unroutedReasons(runbooks)(labels);
}

/**
 * unroutedReason for the alerts of one body, each reason worked out once per set of values of the labels the
 * runbooks route on: a receiver that sends rollbot every alert of an organisation makes most of a body unrouted,
 * and its alerts share those values group by group.
 */
export function unroutedReasons(
  runbooks: readonly Routable[],
): (labels: Readonly<Record<string, string>>) => string {
  const names = [...new Set(runbooks.flatMap((runbook) => Object.keys(effectiveMatch(runbook))))];
  const known = new Map<string, string>();
  return (labels) => {
    const key = JSON.stringify(names.map((name) => labelOf(labels, name) ?? null));
    let reason = known.get(key);
    if (reason === undefined) {
      reason = explain(labels, runbooks, names);
      known.set(key, reason);
    }
    return reason;
  };
}

function explain(
  labels: Readonly<Record<string, string>>,
  runbooks: readonly Routable[],
  names: readonly string[],
): string {
  if (!runbooks.length) return 'no runbooks are loaded (RUNBOOKS_DIR)';
  for (const runbook of runbooks) {
    const misses = Object.entries(effectiveMatch(runbook)).filter(
      ([name, value]) => labelOf(labels, name) !== value,
    );
    if (misses.length && misses.every(([name, value]) => isNear(labelOf(labels, name), value))) {
      const what = misses.map(
        ([name, value]) => `label ${name} is ${JSON.stringify(labels[name])}, not ${JSON.stringify(value)}`,
      );
      return (
        `${what.join('; ')} as the alerts.match of runbook ${runbook.model} wants: ` +
        'label values are compared exactly, case included'
      );
    }
  }
  const has = names.slice(0, NAMED).map((name) => describe(name, labelOf(labels, name)));
  const models = runbooks.map((runbook) => runbook.model).sort();
  const shown = models.slice(0, MODELS_NAMED).join(', ');
  const more = models.length > MODELS_NAMED ? ` and ${models.length - MODELS_NAMED} more` : '';
  return `no runbook's alerts.match fits its labels (${has.join(', ')}); runbooks: ${shown}${more}`;
}

/** The alert's own label, never one inherited from Object.prototype (`constructor`). */
function labelOf(labels: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(labels, name) ? labels[name] : undefined;
}

/** A value that is the wanted one off by case or a typo: what a person meant, not another model. */
function isNear(value: string | undefined, wanted: string): boolean {
  return value !== undefined && value !== '' && closest(value, [wanted]) !== undefined;
}

function describe(name: string, value: string | undefined): string {
  if (value === undefined) return `no label ${name}`;
  return value === '' ? `${name} is empty` : `${name} is ${quote(value)}`;
}

/** A label value short enough to quote back: its first 60 characters and a count of the rest. */
function quote(value: string): string {
  return value.length <= 60
    ? JSON.stringify(value)
    : `${JSON.stringify(value.slice(0, 60))}… (${value.length} characters)`;
}
