/**
 * What a triage's decision by policy rests on, and when a later triage decides again. Triage runs again while
 * nobody has decided (an alert joined): asking people again about what they were already asked is noise, so
 * the same finding does not decide twice — unless policy `auto` may now act on it alone where it could not
 * before (a breach seen first only on partial answers, then on complete ones): the runbook's owner chose to roll
 * back on a measured breach without waiting for a person, and the person asked may be asleep.
 */
import type { TriageFinding, TriageRecord } from './evaluation.js';
import { automaticGround, type AutomaticGround } from './partial.js';

export interface DecisionBasis {
  finding: TriageFinding;
  /** What policy `auto` could do with the finding alone (core/partial.ts); absent under the other policies. */
  ground?: AutomaticGround;
}

/**
 * A decision by policy as the incident keeps it (Incident.decidedOn): stored, with the triage that takes it,
 * before it is made, so that a replica that dies before making it leaves it to another (engine/triage-decision.ts).
 */
export interface StandingDecision extends DecisionBasis {
  /**
   * When the triage that took it measured: which decision it is, named by the mark that it was made. Absent on
   * decisions stored before it was kept.
   */
  triageAt?: number;
  /** The decision it replaced: a person asked about the same finding is told that auto acts instead. */
  replaced?: DecisionBasis;
}

/** A decision a triage takes now: it names its triage. */
export type TakenDecision = StandingDecision & { triageAt: number };

/** The decision on `basis` the triage measured at `triageAt` takes, replacing the one `standing`. */
export function decisionOn(
  basis: DecisionBasis,
  triageAt: number,
  standing: DecisionBasis | undefined,
): TakenDecision {
  // Only the basis of the one replaced: a chain of replaced decisions would grow with every new finding.
  const replaced = standing && {
    finding: standing.finding,
    ...(standing.ground ? { ground: standing.ground } : {}),
  };
  return { ...basis, triageAt, ...(replaced ? { replaced } : {}) };
}

/** The runbook's rollback settings a decision by policy depends on. */
export interface DecisionPolicy {
  policy: 'auto' | 'approve' | 'two-person';
  onNoData: 'ask' | 'rollback';
}

export function decisionBasis(
  triage: Pick<TriageRecord, 'finding' | 'checks'>,
  { policy, onNoData }: DecisionPolicy,
): DecisionBasis {
  const ground = policy === 'auto' ? automaticGround(triage, onNoData) : undefined;
  return { finding: triage.finding, ...(ground ? { ground } : {}) };
}

/** May policy `auto` roll back on this basis without a person? */
export function actsAlone(basis: DecisionBasis): boolean {
  return basis.ground === 'breach' || basis.ground === 'no-data';
}

/**
 * Does a triage on `next` decide again, after the decision made on `standing` (undefined: none yet)? A new
 * finding does. The same one does only when policy `auto` may now act on it alone and could not then; once it
 * has acted (rolled back, or was refused and asked a person), answers that flap between partial and complete
 * never make it act, or ask, again.
 */
export function decidesAgain(standing: DecisionBasis | undefined, next: DecisionBasis): boolean {
  if (standing?.finding !== next.finding) return true;
  return actsAlone(next) && !actsAlone(standing);
}
