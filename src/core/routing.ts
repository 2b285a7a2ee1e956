/** A runbook's alert matcher: every listed label must be present with exactly this value. */
export type LabelMatch = Readonly<Record<string, string>>;

export interface Routable {
  model: string;
  match: LabelMatch;
}

/**
 * The labels a runbook actually routes on. An empty matcher would match every alert and quietly take the
 * incidents (and, with policy auto, the rollbacks) of every other model, so it falls back to the runbook
 * default, `{model: <model>}`. The loader refuses an empty `alerts.match`; this guards runbooks built elsewhere.
 */
export function effectiveMatch(runbook: Routable): LabelMatch {
  return Object.keys(runbook.match).length > 0 ? runbook.match : { model: runbook.model };
}

/**
 * The runbook an alert belongs to: the first whose `alerts.match` labels all equal the alert's labels.
 * Runbooks are checked most specific first (most labels), so `{model: x, env: prod}` beats `{model: x}`.
 */
export function routeAlert<R extends Routable>(
  labels: Readonly<Record<string, string>>,
  runbooks: readonly R[],
): R | undefined {
  return labelRouter(runbooks)(labels);
}

/**
 * routeAlert with the matchers ordered once: every alert of a storm is routed, and sorting the runbooks per
 * alert was 4 % of ingest CPU (bench/README.md).
 */
export function labelRouter<R extends Routable>(
  runbooks: readonly R[],
): (labels: Readonly<Record<string, string>>) => R | undefined {
  const bySpecificity = runbooks
    .map((runbook) => ({ runbook, match: Object.entries(effectiveMatch(runbook)) }))
    .sort((a, b) => b.match.length - a.match.length);
  return (labels) =>
    bySpecificity.find(({ match }) => match.every(([label, value]) => labels[label] === value))?.runbook;
}
