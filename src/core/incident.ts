import { RollbotError } from './errors.js';
import type { ConfirmationRecord, ImpactEstimate, TriageRecord } from './evaluation.js';
import type { RollbackRecord } from './rollback-types.js';
import type { StandingDecision } from './triage-basis.js';
import type { Trigger } from './trigger.js';
import type { Severity } from './severity.js';
import type { AlertRef } from './alert-ref.js';
import type { Stage, StageClock, Targets } from './stages.js';
import type { WatchPeriod } from './watch.js';

/**
 * Where an incident is in the runbook. `triage`, `rollback` and `confirm` are open; `resolved` waits for its
 * retrospective; `dismissed` (decided "not a rollback") and `closed` (retrospective done) are final.
 */
export const PHASES = ['triage', 'rollback', 'confirm', 'resolved', 'dismissed', 'closed'] as const;
export type Phase = (typeof PHASES)[number];

export const OPEN_PHASES: ReadonlySet<Phase> = new Set<Phase>(['triage', 'rollback', 'confirm']);

/** The legal moves of the state machine. Anything else is refused with ILLEGAL_TRANSITION. */
const TRANSITIONS: Record<Phase, readonly Phase[]> = {
  triage: ['rollback', 'dismissed', 'resolved'],
  // rollback → rollback: another attempt after a failed or interrupted one.
  rollback: ['rollback', 'confirm', 'resolved'],
  confirm: ['rollback', 'resolved'],
  resolved: ['closed'],
  dismissed: [],
  closed: [],
};

export type { Trigger } from './trigger.js';

export interface Decision {
  kind: 'rollback' | 'not-rollback';
  by: string;
  at: number;
  reason: string;
  trigger: Trigger;
}

export interface Incident {
  id: string;
  /** Bumped by every stored change; stores refuse a write based on an older version. */
  version: number;
  model: string;
  severity: Severity;
  drill: boolean;
  summary: string;
  phase: Phase;
  openedAt: number;
  labels: Record<string, string>;
  stages: Record<Stage, StageClock>;
  targets: Targets;
  alerts: AlertRef[];
  /** Alerts that joined beyond MAX_ALERT_REFS are counted, not kept. */
  droppedAlerts: number;
  /** Where the first alert can be seen at its source (Alertmanager's `generatorURL`: the rule's graph). */
  sourceUrl?: string;
  decision?: Decision;
  /** The latest rollback attempt (core/rollback-types.ts). */
  rollback?: RollbackRecord;
  /** Who acknowledged the incident (is on it), and when. */
  acknowledged?: { by: string; at: number };
  /** The latest triage (core/evaluation.ts). */
  triage?: TriageRecord;
  /**
   * What the latest decision by policy (a person asked, or policy auto's rollback) rests on: a later triage on
   * the same basis leaves it standing (core/triage-basis.ts). Stored before the decision is made. Absent on
   * incidents stored before it was kept.
   */
  decidedOn?: StandingDecision;
  confirmation?: ConfirmationRecord;
  impact?: ImpactEstimate;
  resolvedAt?: number;
  /**
   * Who resolved the incident and why, written with the resolution so that whichever replica follows it up
   * (engine/resolution-follow.ts) says the same. Absent on incidents resolved before it was kept.
   */
  resolution?: Resolution;
  /**
   * How a drill ended, written with its resolution or dismissal: the one scoring of the drill rests on it
   * (engine/drill.ts).
   */
  drillEnding?: DrillEnding;
  /** The model was in its watch period when the incident opened (core/watch.ts). */
  watch?: WatchPeriod;
  /**
   * The model's recent incidents that were over when this one opened (newest first), read as it opened: an
   * alert of theirs still firing comes back with every notification of this one's group and stays theirs
   * (engine/intake.ts). Absent on incidents opened otherwise, or before it was kept: then intake reads them.
   */
  earlier?: string[];
}

/** Who resolved an incident (a Slack user, `cli:<name>`, or rollbot itself) and why. */
export interface Resolution {
  by: string;
  reason: string;
}

/**
 * How a drill ended, as whoever ended it saw it: whether its rollback got there, and what went wrong. Kept on the
 * drill so that a replica that scores it after its ender died scores what the ender saw.
 */
export interface DrillEnding {
  succeeded: boolean;
  problem?: string;
  /**
   * When it ended: its resolution or its dismissal as "not a rollback" (for a drill dismissed before dismissals
   * ended drills: when it was scored).
   */
  at: number;
}

/**
 * An incident without its alert refs, for lists: the refs are most of a big incident (100 refs, ~20 KB), and a
 * list shows none of them. `alertRefs` counts them.
 */
export type IncidentHead = Omit<Incident, 'alerts'> & { alertRefs: number };

export function headOf(incident: Incident): IncidentHead {
  const { alerts, ...head } = incident;
  return { ...head, alertRefs: alerts.length };
}

export interface NewIncident {
  id: string;
  model: string;
  severity: Severity;
  drill: boolean;
  summary: string;
  labels: Record<string, string>;
  targets: Targets;
  alert: AlertRef;
  sourceUrl?: string;
}

export function isOpen(incident: Pick<Incident, 'phase'>): boolean {
  return OPEN_PHASES.has(incident.phase);
}

/**
 * A new incident, in triage. Detection is measured from the alert's start (degradation onset) to the moment
 * rollbot received it; triage starts on receipt.
 */
export function openIncident(input: NewIncident): Incident {
  const receivedAt = input.alert.receivedAt;
  const detectStart = Math.min(input.alert.startsAt, receivedAt);
  return {
    id: input.id,
    version: 0,
    model: input.model,
    severity: input.severity,
    drill: input.drill,
    summary: input.summary,
    phase: 'triage',
    openedAt: receivedAt,
    labels: input.labels,
    stages: {
      detect: { startedAt: detectStart, endedAt: receivedAt },
      triage: { startedAt: receivedAt },
      rollback: {},
      confirm: {},
      retro: {},
    },
    targets: input.targets,
    alerts: [input.alert],
    droppedAlerts: 0,
    ...(input.sourceUrl === undefined ? {} : { sourceUrl: input.sourceUrl }),
  };
}

/** Records who is on the incident. Returns undefined when it was acknowledged already. */
export function acknowledge(incident: Incident, by: string, at: number): Incident | undefined {
  return incident.acknowledged ? undefined : { ...incident, acknowledged: { by, at } };
}

/** Moves an incident to another phase, or refuses with ILLEGAL_TRANSITION naming the legal moves. */
export function transition(incident: Incident, to: Phase): Incident {
  const allowed = TRANSITIONS[incident.phase];
  if (!allowed.includes(to)) {
    throw new RollbotError(
      'ILLEGAL_TRANSITION',
      `incident ${incident.id} is ${incident.phase}; it cannot become ${to}`,
      {
        hint: allowed.length
          ? `from ${incident.phase} it can become: ${allowed.join(', ')}`
          : `${incident.phase} is final`,
        details: { id: incident.id, from: incident.phase, to },
      },
    );
  }
  return { ...incident, phase: to };
}

function setClock(incident: Incident, stage: Stage, clock: StageClock): Incident {
  return { ...incident, stages: { ...incident.stages, [stage]: { ...incident.stages[stage], ...clock } } };
}

/**
 * Ends a running stage; a stage that already ended keeps its first end time. `endedBy`: a resolution ended it
 * before the runbook's own end of it (StageClock's `endedBy`).
 */
function endStage(incident: Incident, stage: Stage, at: number, endedBy?: 'resolution'): Incident {
  const clock = incident.stages[stage];
  if (clock.startedAt === undefined || clock.endedAt !== undefined) return incident;
  return setClock(incident, stage, { endedAt: at, ...(endedBy ? { endedBy } : {}) });
}

/**
 * Records the triage decision. "Roll back" starts the rollback stage and the confirmation clock (DESIGN §1:
 * confirm is measured from rollback initiation); "not a rollback" dismisses the incident.
 */
export function decide(incident: Incident, decision: Decision): Incident {
  if (incident.phase !== 'triage') {
    // One resolved by hand from triage left it without a decision: "decided already" would send people looking
    // for a decision that was never made.
    const why = incident.decision
      ? 'it was decided already'
      : 'it is no longer in triage, so there is nothing to decide';
    throw new RollbotError('ILLEGAL_TRANSITION', `incident ${incident.id} is ${incident.phase}: ${why}`, {
      hint: incident.decision
        ? `decided "${incident.decision.kind}" by ${incident.decision.by}; see the incident timeline`
        : 'see the incident timeline',
      details: { id: incident.id, from: incident.phase },
    });
  }
  const to: Phase = decision.kind === 'rollback' ? 'rollback' : 'dismissed';
  let next = endStage(transition(incident, to), 'triage', decision.at);
  next = { ...next, decision };
  if (decision.kind === 'rollback') {
    next = {
      ...next,
      stages: { ...next.stages, rollback: { startedAt: decision.at }, confirm: { startedAt: decision.at } },
    };
  }
  return next;
}

/** The serving layer reports traffic on the known-good version: rollback stage done, confirmation running. */
export function trafficRestored(incident: Incident, at: number): Incident {
  return endStage(transition(incident, 'confirm'), 'rollback', at);
}

/**
 * Service is restored (gates passed, or a person says so): the retrospective clock starts. The stages still running
 * end here; only confirm completes by it — once its gates passed, or, where rollbot could not measure and no
 * confirmation of its own ran, by the person who confirmed by hand and resolved. The others (triage without a
 * decision, a rollback not yet landed, a confirmation of rollbot's not passed) were cut short by the resolution,
 * and say so (StageClock's `endedBy`).
 */
export function resolve(incident: Incident, at: number): Incident {
  let next = transition(incident, 'resolved');
  for (const stage of RESOLVED_STAGES) {
    const completed = stage === 'confirm' && confirmCompletes(incident);
    next = endStage(next, stage, at, completed ? undefined : 'resolution');
  }
  next = setClock(next, 'retro', { startedAt: at });
  return { ...next, resolvedAt: at };
}

/** The stages a resolution ends if they still run. */
export const RESOLVED_STAGES = ['triage', 'rollback', 'confirm'] as const;

/**
 * Whether a resolution completes a running confirm stage: once rollbot's confirmation passed, or, where rollbot
 * could not measure and no confirmation of its own ran, as the confirmation by hand the runbook asked for — which
 * it asks for once the rollback got there. A rollback that failed (a drill's on its drill target, say) or never
 * ended left nothing to confirm: its resolution cuts confirm short too.
 */
export function confirmCompletes(incident: Pick<Incident, 'confirmation' | 'rollback'>): boolean {
  if (incident.confirmation !== undefined) return incident.confirmation.verdict === 'PASS';
  return incident.rollback?.status === 'succeeded';
}

/** The retrospective is done. */
export function closeRetro(incident: Incident, at: number): Incident {
  return endStage(transition(incident, 'closed'), 'retro', at);
}

/**
 * A drill dismissed as "not a rollback" ended failed and gets a retrospective (engine/drill.ts): its retro clock
 * starts at the dismissal, as a resolution starts a resolved incident's. Dismissed stays its phase (final).
 */
export function startDismissedRetro(incident: Incident, at: number): Incident {
  return setClock(incident, 'retro', { startedAt: at });
}

/** The retrospective of a dismissed drill is done: its clock ends; the phase stays dismissed. */
export function endDismissedRetro(incident: Incident, at: number): Incident | undefined {
  if (incident.phase !== 'dismissed' || incident.stages.retro.startedAt === undefined) return undefined;
  const ended = endStage(incident, 'retro', at);
  return ended === incident ? undefined : ended;
}

/** Whether the incident's retrospective clock runs: started (resolved, or a dismissed drill) and not ended. */
export function retroRunning(incident: Pick<Incident, 'stages'>): boolean {
  const { startedAt, endedAt } = incident.stages.retro;
  return startedAt !== undefined && endedAt === undefined;
}

/**
 * Marks a stage's target as missed. Returns undefined when it was already marked, so that an escalation
 * happens once however often the deadline is delivered.
 */
export function recordBreach(incident: Incident, stage: Stage, at: number): Incident | undefined {
  if (incident.stages[stage].breachedAt !== undefined) return undefined;
  return setClock(incident, stage, { breachedAt: at });
}
