/**
 * The escalation of a confirmation that did not pass (FAIL, ERROR, INCONCLUSIVE): "the rollback did not restore
 * service" must wake the on-call, so it is a delivered event as a missed target's is (escalation.ts). The
 * confirmation poll whose verdict it is is the deadline that stands in for it: claimed until its handler ends,
 * it comes round again (after its lease) should the escalation not arrive in time or its replica die, and a poll
 * that finds the verdict already given sends the escalation unless its mark, the `confirm.failed` entry written
 * once it arrived or was given up on, is on the timeline.
 */
import type { CheckResult } from '../core/evaluation.js';
import { formatValue, type Verdict } from '../core/gates.js';
import { isOpen, type Incident } from '../core/incident.js';
import { describeWarnings, isPartial } from '../core/partial.js';
import type { Runbook } from '../runbooks/schema.js';
import { sentence } from '../core/text.js';
import { BRIEF_ERROR_CHARS, briefCheckError } from '../core/check-error.js';
import { escalateAndRecord, escalationTargets } from './escalation-record.js';
import { escalationLock, inconclusiveToldBy, type Told } from './escalation-overlap.js';
import { scheduleConfirmPoll } from './confirm-poll.js';
import { record, type EngineDeps } from './context.js';
import { sendOnce } from './send-once.js';
import { entriesOfTypes } from './timeline-types.js';

const WHY: Record<Exclude<Verdict, 'PASS'>, string> = {
  FAIL: 'the rollback did not restore service',
  ERROR: 'confirmation cannot read its metrics',
  INCONCLUSIVE: 'no confirmation verdict within the confirm target',
};

/** Why a confirmation query failed, as a line that names its check shows it: brief and capped. */
export function pollError(check: CheckResult): string | undefined {
  return briefCheckError(check, BRIEF_ERROR_CHARS);
}

/**
 * `error rate 0.51% (≤ 0.55%) INCONCLUSIVE (partial answer "…")`, `error rate no data (≤ 2%) ERROR (cannot reach
 * … (check PROMETHEUS_URL …))`: one check of a poll, for the timeline and the escalation, which must say why a
 * confirmation "cannot read its metrics" (unreachable, credentials, bad PromQL) for people to fix it.
 */
export function pollLine(check: CheckResult): string {
  const partial = isPartial(check) ? ` (partial answer ${describeWarnings(check.warnings ?? [])})` : '';
  const error = pollError(check);
  const failed = error === undefined ? '' : ` (${error})`;
  return `${check.name} ${formatValue(check.value, check.unit)} (${check.threshold}) ${check.verdict}${failed}${partial}`;
}

/**
 * Escalates the incident's confirmation verdict, if it did not pass, unless that was done (sendOnce, under the
 * escalation's lock): for the rollback attempt it confirms, with the last poll's checks, so that whichever
 * replica sends it sends the same. Nothing once the incident is over (a person resolved it). One still on its
 * way after `arrivalWaitMs` throws StillOnItsWay, failing the poll's handler: its deadline comes round again,
 * which records it had it arrived meanwhile, joins it, or sends again what did not arrive. A sender holding the
 * lock has the poll look again once it lapses.
 */
export async function escalateConfirmationOnce(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
): Promise<void> {
  const verdict = incident.confirmation?.verdict;
  if (!verdict || verdict === 'PASS' || !isOpen(incident)) return;
  const attempt = incident.rollback?.attempt ?? 1;
  await sendOnce(deps, incident.id, {
    // The confirm stage's: this and its missed target take turns, the second finding what the first told.
    lock: escalationLock(incident.id, 'confirm'),
    markTypes: ['confirm.failed'],
    isMark: (entry) => entry.data?.attempt === attempt,
    send: async () => {
      const told =
        verdict === 'INCONCLUSIVE'
          ? inconclusiveToldBy(
              attempt,
              await entriesOfTypes(deps, incident.id, ['stage.breached']),
              runbook.paging !== undefined,
            )
          : undefined;
      return told
        ? recordToldAlready(deps, runbook, incident, attempt, told)
        : sendConfirmationFailure(deps, runbook, incident, verdict, attempt);
    },
    lookAgainAt: (at) => scheduleConfirmPoll(deps, incident.id, at),
  });
}

/** What the escalation of a confirmation that did not pass says, sent or recorded only. */
function failureText(incident: Incident, verdict: Exclude<Verdict, 'PASS'>): string {
  const line = (incident.confirmation?.last?.checks ?? []).map(pollLine).join(', ');
  return `${WHY[verdict]} for ${incident.model} (${incident.id}): ${line}.`;
}

/** What a person does about a confirmation that did not pass. */
const STAYS_OPEN = 'the incident stays open: look at it, then roll back further or resolve by hand.';

/**
 * An INCONCLUSIVE whose end the missed confirm target's escalation announced (escalation-overlap.ts): the same news,
 * recorded as the verdict's mark without paging again, naming the escalation that told it.
 */
async function recordToldAlready(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  attempt: number,
  told: Told,
): Promise<void> {
  const who = escalationTargets(runbook.escalation.mention);
  await record(deps, incident, {
    type: 'confirm.failed',
    text: `${failureText(incident, 'INCONCLUSIVE')} Not escalated again: ${told.what} told ${who} it would end so; ${STAYS_OPEN}`,
    data: { verdict: 'INCONCLUSIVE', attempt, escalated: false, toldAt: told.entry.at },
  });
}

/** Delivers, then records: the `confirm.failed` entry is the mark that the verdict was escalated. */
async function sendConfirmationFailure(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  verdict: Exclude<Verdict, 'PASS'>,
  attempt: number,
): Promise<void> {
  const text = `${failureText(incident, verdict)} ${sentence(STAYS_OPEN)}`;
  deps.logger.warn({ incident: incident.id, verdict }, 'confirmation did not pass; escalating');
  await escalateAndRecord(
    deps,
    incident,
    {
      type: 'escalation',
      incident,
      channel: runbook.channel,
      stage: 'confirm',
      about: 'confirmation-failed',
      mention: runbook.escalation.mention,
      text,
    },
    `the confirmation-failed escalation of ${incident.id}`,
    { type: 'confirm.failed', data: { verdict, attempt }, text: (reach) => `${text} ${sentence(reach)}.` },
  );
}
