/** A runbook's alert matcher: every listed label must be present with exactly this value. */
export type LabelMatch = Readonly<Record<string, string>>;

export interface Routable {
  model: string;
  match: LabelMatch;
}

/**
 * The runbook an alert belongs to: the first whose `alerts.match` labels all equal the alert's labels.
 * Runbooks are checked most specific first (most labels), so `{model: x, env: prod}` beats `{model: x}`.
 */
export function routeAlert<R extends Routable>(
  labels: Readonly<Record<string, string>>,
  runbooks: readonly R[],
): R | undefined {
  const bySpecificity = [...runbooks].sort(
    (a, b) => Object.keys(b.match).length - Object.keys(a.match).length,
  );
  return bySpecificity.find((runbook) =>
    Object.entries(runbook.match).every(([label, value]) => labels[label] === value),
  );
}
