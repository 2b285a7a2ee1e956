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
 * alert was 4 % of ingest CPU (bench/README.md). Almost every matcher names a model, so each model value gets the
 * matchers an alert of it can meet (those naming it, and those naming no model), in the same order: an alert is
 * checked against its model's runbooks, not all of them.
 */
export function labelRouter<R extends Routable>(
  runbooks: readonly R[],
): (labels: Readonly<Record<string, string>>) => R | undefined {
  const bySpecificity = runbooks
    .map((runbook) => ({ runbook, match: Object.entries(effectiveMatch(runbook)) }))
    .sort((a, b) => b.match.length - a.match.length);
  const modelOf = (match: [string, string][]) => match.find(([label]) => label === 'model')?.[1];
  const anyModel = bySpecificity.filter(({ match }) => modelOf(match) === undefined);
  const byModel = new Map<string, typeof bySpecificity>();
  for (const { match } of bySpecificity) {
    const model = modelOf(match);
    if (model === undefined || byModel.has(model)) continue;
    byModel.set(
      model,
      bySpecificity.filter((candidate) => [undefined, model].includes(modelOf(candidate.match))),
    );
  }
  return (labels) => {
    const candidates = (labels.model === undefined ? undefined : byModel.get(labels.model)) ?? anyModel;
    return candidates.find(({ match }) => match.every(([label, value]) => labels[label] === value))?.runbook;
  };
}
