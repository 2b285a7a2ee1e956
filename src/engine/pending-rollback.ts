import { RollbotError } from '../core/errors.js';
import { isOpen, type Incident } from '../core/incident.js';
import type { EngineDeps } from './context.js';

/** A rollback asked for under the two-person rule, waiting for a different approver. */
export interface PendingRollback {
  model: string;
  /** The incident it was asked for; absent when the model had none open (the approval opens a manual one). */
  incidentId?: string;
  /** Rollback attempts on that incident when it was asked for: one more since means it was decided already. */
  attempts?: number;
  requestedBy: string;
  reason: string;
  to?: string;
  /** The version serving when the requester was shown the plan: the approved rollback runs only from it. */
  from?: string;
  at: number;
}

/** Where a model's waiting request is kept: one per model. */
export const pendingKey = (model: string) => `pending-rollback:${model}`;
/** An unapproved request lapses: an approval an hour later is about a different situation. */
export const PENDING_TTL_MS = 3_600_000;

/** Tries before giving up when every write finds that another request was saved since the read. */
const SAVE_TRIES = 3;

/**
 * A request as stored. A request read back stringifies to the very text it was read from, so what an approval
 * read and checked can be compared with what is stored now.
 */
const stored = (pending: PendingRollback): string => JSON.stringify(pending);

/**
 * Saves `pending` as its model's waiting request, unless `refuse` (given the one waiting, if any) throws, and
 * returns it as saved. Read, check and write are one compare-and-set: when another request was saved in between
 * (another replica, or interleaved awaits), it is read and checked in turn, so that of two requests made at the
 * same instant the second gets the answer it would have got a moment later, instead of replacing the first.
 * A request's `at` is its identity (its message's Approve button, its deadlines), so one replacing another made in
 * the same millisecond is saved a millisecond after it: a press on the replaced message must not approve it.
 * `beforeSave` is given the request as it will be saved, before it is (its deadlines are scheduled there, so that
 * none is missing should this replica die after the write).
 */
export async function savePending(
  deps: EngineDeps,
  pending: PendingRollback,
  refuse: (waiting: PendingRollback) => Promise<void>,
  beforeSave: (saving: PendingRollback) => Promise<void>,
): Promise<PendingRollback> {
  const key = pendingKey(pending.model);
  for (let tries = 0; tries < SAVE_TRIES; tries++) {
    const raw = await deps.store.getValue(key);
    const waiting = raw === undefined ? undefined : (JSON.parse(raw) as PendingRollback);
    if (waiting) await refuse(waiting);
    const saving = waiting && waiting.at >= pending.at ? { ...pending, at: waiting.at + 1 } : pending;
    await beforeSave(saving);
    if (await deps.store.compareAndSetValue(key, raw, stored(saving), PENDING_TTL_MS)) return saving;
  }
  throw new RollbotError(
    'CONFLICT',
    `the waiting rollback request of ${pending.model} changed each time yours was about to be saved (${SAVE_TRIES} tries): yours was not saved`,
    {
      hint: `others are requesting or approving a rollback of ${pending.model} right now: see its incident thread or channel, then request again (/rollback ${pending.model}) if it is still needed`,
    },
  );
}

export async function readPending(deps: EngineDeps, model: string): Promise<PendingRollback | undefined> {
  const raw = await deps.store.getValue(pendingKey(model));
  return raw === undefined ? undefined : (JSON.parse(raw) as PendingRollback);
}

/**
 * Takes the request, as read and checked, for execution: only one caller gets it, however many approvers
 * press at once, and none gets it once it was replaced since (false): the requester may have changed their
 * plan, and what runs must be what was checked.
 */
export async function takePending(deps: EngineDeps, pending: PendingRollback): Promise<boolean> {
  return deps.store.takeValueIfHeld(pendingKey(pending.model), stored(pending));
}

/**
 * Drops the model's waiting request when it was asked for this incident (which has just ended); returns it so
 * that the ending can say whose request will not run. Only the request read is dropped: one saved since stays,
 * as it must when made for another incident or none. (One for this incident, replaced by its requester as the
 * incident ended, is harmless: an approval of it is refused and any new request replaces it.)
 */
export async function dropPendingFor(
  deps: EngineDeps,
  incident: Pick<Incident, 'id' | 'model'>,
): Promise<PendingRollback | undefined> {
  const pending = await readPending(deps, incident.model);
  if (pending?.incidentId !== incident.id) return undefined;
  return (await takePending(deps, pending)) ? pending : undefined;
}

/** "U0ANA's rollback of fraud-scorer to v41 at …": what a request is, for refusals. */
export function describePending(pending: PendingRollback): string {
  const to = pending.to ? ` to ${pending.to}` : '';
  return `${pending.requestedBy} requested a rollback of ${pending.model}${to} at ${new Date(pending.at).toISOString()} (${pending.reason})`;
}

/**
 * Why a rollback asked for on `incidentId` may no longer run, or undefined while it may: the incident ended
 * (dismissed, resolved), or — given the request — a rollback ran on it after the request was made. An approval
 * must never act on a decision that was taken since, nor open a new incident for one that ended.
 */
export async function outdated(
  deps: EngineDeps,
  model: string,
  incidentId: string,
  pending?: PendingRollback,
): Promise<RollbotError | undefined> {
  const incident = await deps.store.getIncident(incidentId);
  const hint = `if ${model} still needs a rollback, request it again (/rollback ${model})`;
  if (!incident)
    return new RollbotError('NOT_FOUND', `no incident ${incidentId}: nothing was rolled back`, { hint });
  if (!isOpen(incident))
    return new RollbotError('CONFLICT', `${ended(incident)}: nothing was rolled back`, { hint });
  const since = incident.rollback;
  if (pending?.attempts !== undefined && since && since.attempt !== pending.attempts) {
    return new RollbotError(
      'CONFLICT',
      `${incident.id} was rolled back to ${since.plan.to} by ${since.by} after ${pending.requestedBy} requested this rollback: nothing more was rolled back`,
      { hint: `see ${incident.id}'s timeline; ${hint}` },
    );
  }
  return undefined;
}

function ended(incident: Incident): string {
  const decision = incident.decision;
  if (incident.phase === 'dismissed' && decision)
    return `${incident.id} was dismissed (not a rollback, by ${decision.by}: ${decision.reason})`;
  return `${incident.id} was ${incident.phase}`;
}
