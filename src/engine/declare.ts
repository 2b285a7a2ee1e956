/**
 * A person declares an incident: a customer report, a dashboard someone is staring at, before any alert fired.
 * It goes in as an alert would (intake.ts) — so it opens an incident with triage, clocks, timeline, message and
 * paging by its severity, ends a drill under way, or joins the model's open incident and raises its severity —
 * from a generic alert carrying the runbook's own match labels and who declared it.
 */
import { RollbotError } from '../core/errors.js';
import type { Severity } from '../core/severity.js';
import type { NormalizedAlert } from '../alerts/types.js';
import type { EngineDeps } from './context.js';
import { ingestAlerts } from './intake.js';

/** A summary is one line for people: the alert summaries Slack and the pager show are no longer. */
const MAX_SUMMARY = 300;

export interface Declaration {
  model: string;
  severity: Severity;
  summary: string;
  /** Who declares it: a Slack user ID, `cli:<login>`. */
  by: string;
}

export interface Declared {
  /** Opened, or joined the model's open incident. */
  outcome: 'opened' | 'attached';
  incidentId: string;
  /** The incident's severity now: the declared one, or worse when it joined a worse incident. */
  severity: Severity;
}

/**
 * Declares an incident for `declaration.by`: opened, or the model's open one joined. Refuses (UNKNOWN_MODEL,
 * BAD_REQUEST for an empty or over-long summary) before anything is stored.
 */
export async function declareIncident(deps: EngineDeps, declaration: Declaration): Promise<Declared> {
  const runbook = deps.runbooks.require(declaration.model);
  const summary = declaration.summary.trim();
  if (!summary) throw new RollbotError('BAD_REQUEST', 'say what is wrong: an incident needs a summary');
  if (summary.length > MAX_SUMMARY) {
    throw new RollbotError(
      'BAD_REQUEST',
      `the summary is ${summary.length} characters; at most ${MAX_SUMMARY}`,
      {
        hint: 'say it in one line; add the rest to the thread once the incident is open',
      },
    );
  }
  const now = deps.clock.now();
  const alert: NormalizedAlert = {
    source: 'generic',
    status: 'firing',
    // One declaration is one alert: two people declaring the same trouble both join the one incident.
    fingerprint: `declared:${declaration.by}:${now}`,
    name: `declared by ${declaration.by}`,
    labels: { ...runbook.match, declared_by: declaration.by },
    annotations: { summary },
    summary,
    startsAt: now,
    declaredSeverity: declaration.severity,
  };
  const [result] = await ingestAlerts(deps, [alert]);
  // The runbook's own labels route to it (most specific first); anything else would be a routing bug.
  if (
    result?.model !== runbook.model ||
    !result.incidentId ||
    (result.outcome !== 'opened' && result.outcome !== 'attached')
  ) {
    throw new Error(`the declared incident of ${runbook.model} went elsewhere: ${JSON.stringify(result)}`);
  }
  const incident = await deps.store.getIncident(result.incidentId);
  return {
    outcome: result.outcome,
    incidentId: result.incidentId,
    severity: incident?.severity ?? declaration.severity,
  };
}
