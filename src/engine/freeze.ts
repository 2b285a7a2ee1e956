/**
 * Deploy freezes: someone the runbook allows closes a model's deployment gate (or every model's, `*`) until a
 * set time, and may lift it sooner. The rules (what a valid freeze is, when it holds, how it reads) are in
 * freeze-rules.ts; this is where freezes are stored, authorized, recorded and announced. A freeze is one store
 * value per target, expiring at its `until`, so every replica sees the same one, and a deadline at `until` that
 * says it ended (one lifted or replaced before has its deadline cancelled).
 */
import { RollbotError } from '../core/errors.js';
import {
  asFreeze,
  EVERY_MODEL,
  checkFreezeRequest,
  frozenWhat,
  inForce,
  readFreeze,
  type Freeze,
} from './freeze-rules.js';
import { mayAct, type Actor } from '../core/policy.js';
import { oneLine } from '../core/text.js';
import type { Runbook } from '../runbooks/schema.js';
import { authorize, noteDenial, type Action } from './authorize.js';
import { latestIncident, record, type EngineDeps } from './context.js';
import { actingAs, uncheckedGroupsNote, type GroupResolver } from './group-membership.js';
import type { Deadline } from './ports.js';

/** The deadline kind that says a freeze ended on its own (poller.ts). */
export const FREEZE_END = 'freeze-end';

const freezeKey = (target: string) => `gate-freeze:${target}`;
const iso = (ms: number) => new Date(ms).toISOString();
/** One per freeze set (two set at the same instant share it: see freezeDeployments), cancelled when it is replaced. */
const endId = (freeze: Pick<Freeze, 'model' | 'at'>) => `${FREEZE_END}:${freeze.model}:${freeze.at}`;

/** A freeze set or lifted, and the models it covers (every runbook's, for `*`). */
export interface FreezeOutcome {
  freeze: Freeze;
  models: string[];
  /**
   * A model's freeze lifted while a freeze of every model is in force: that one, which still closes the model's
   * gate. Said, so that whoever lifted it does not take the gate for open.
   */
  heldStillBy?: Freeze;
  /**
   * The freeze of every model lifted: the models' own freezes still in force, which keep their gates closed. Said,
   * with who froze each and until when, so that whoever lifted it does not take every gate for open.
   */
  stillFrozen?: Freeze[];
  /** A freeze set: the freeze of the same target it replaced, said so that shortening one is not done unawares. */
  replaced?: Freeze;
}

/** The freezes holding `model` now: its own, and a freeze of every model. */
export async function freezesOn(deps: Pick<EngineDeps, 'store' | 'clock'>, model: string): Promise<Freeze[]> {
  const now = deps.clock.now();
  const stored = await Promise.all([model, EVERY_MODEL].map((target) => current(deps, target, now)));
  return stored.filter((freeze): freeze is Freeze => freeze !== undefined);
}

/**
 * `userId` freezes deployments of `target` (a model, or `*`) until `how.until` (an ISO time), replacing any
 * freeze of the same target. Refused before anything is stored: BAD_REQUEST for a bad `until` or no reason,
 * FORBIDDEN (recorded) for someone the runbook does not allow — for `*`, someone every runbook allows.
 */
export async function freezeDeployments(
  deps: EngineDeps,
  groupsOf: GroupResolver,
  target: string,
  how: { userId: string; until: string; reason: string },
): Promise<FreezeOutcome> {
  const runbooks = coveredBy(deps, target);
  const checked = checkFreezeRequest(how, deps.clock.now());
  await authorizeFreeze(deps, groupsOf, target, runbooks, how.userId, 'freeze deployments of');
  // Checked again after the authorisation's Slack lookups, which can outlast an `until` a moment ahead: a freeze
  // stored past its end would expire at once (a store error, for a TTL that is not positive).
  const at = deps.clock.now();
  checkFreezeRequest(how, at);
  const freeze: Freeze = { model: target, by: how.userId, reason: checked.reason, until: checked.until, at };
  const previous = await current(deps, target, at);
  // Expires with the freeze: the gate also compares `until` to the clock, so it opens on time whatever the store.
  await deps.store.setValue(freezeKey(target), JSON.stringify(freeze), freeze.until - at);
  // The replaced freeze's end first: both may share an id (set at the same instant), and the new one must stay.
  if (previous) await deps.store.cancel(endId(previous));
  await deps.store.schedule({
    id: endId(freeze),
    kind: FREEZE_END,
    dueAt: freeze.until,
    payload: { ...freeze },
  });
  const replacing = previous ? ` (replacing the freeze by ${previous.by} until ${iso(previous.until)})` : '';
  const text = `deployments of ${frozenWhat(target)} frozen by ${freeze.by} until ${iso(freeze.until)}: ${oneLine(freeze.reason)}${replacing}`;
  await announce(deps, runbooks, { type: 'gate.frozen', actor: freeze.by, text, mark: '🧊' });
  return {
    freeze,
    models: runbooks.map((runbook) => runbook.model),
    ...(previous ? { replaced: previous } : {}),
  };
}

/**
 * `userId` lifts the freeze of `target` (a model, or `*`) before its time. Refused with FORBIDDEN (recorded) as a
 * freeze is, and CONFLICT when there is none to lift — saying so when a freeze of every model holds the model.
 */
export async function liftFreeze(
  deps: EngineDeps,
  groupsOf: GroupResolver,
  target: string,
  how: { userId: string; reason?: string },
): Promise<FreezeOutcome> {
  const runbooks = coveredBy(deps, target);
  await authorizeFreeze(deps, groupsOf, target, runbooks, how.userId, 'lift the deployment freeze of');
  const raw = await deps.store.getValue(freezeKey(target));
  const freeze = readFreeze(raw);
  if (raw === undefined || !freeze || !inForce(freeze, deps.clock.now())) throw await notFrozen(deps, target);
  // Only the freeze read here: one set meanwhile (extended by someone else) was not weighed, and stays.
  if (!(await deps.store.takeValueIfHeld(freezeKey(target), raw))) {
    throw new RollbotError(
      'CONFLICT',
      `the freeze of ${frozenWhat(target)} changed while it was being lifted`,
      {
        hint: 'read the gate again and decide on the freeze in force now',
      },
    );
  }
  await deps.store.cancel(endId(freeze));
  const why = how.reason?.trim() ? `: ${oneLine(how.reason)}` : '';
  const now = deps.clock.now();
  const everyModel = target === EVERY_MODEL ? undefined : await current(deps, EVERY_MODEL, now);
  // What still holds a gate this freeze held, as a freeze that ends on its own says: the freeze of every model, or
  // (lifting that one) the models frozen on their own, whose gates stay closed.
  const held = target === EVERY_MODEL ? await frozenOnTheirOwn(deps, runbooks, now) : [];
  const still = everyModel
    ? `; ${stillHolds(everyModel)}`
    : held.length
      ? `; ${staysFrozen(held.map((own) => own.model))}`
      : '';
  const text = `deploy freeze of ${frozenWhat(target)} lifted by ${how.userId} (it was until ${iso(freeze.until)})${why}${still}`;
  await announce(deps, runbooks, { type: 'gate.unfrozen', actor: how.userId, text, mark: '🌤' });
  return {
    freeze,
    models: runbooks.map((runbook) => runbook.model),
    ...(everyModel ? { heldStillBy: everyModel } : {}),
    ...(held.length ? { stillFrozen: held } : {}),
  };
}

/**
 * A freeze's deadline at its `until` (FREEZE_END): the people about to deploy are told it ended, as they were
 * told it began, with what still holds the gate of a model frozen twice. One replaced since without its deadline
 * cancelled (a replica died in between) says nothing; neither does one whose model has no runbook any more.
 */
export async function announceFreezeEnd(deps: EngineDeps, deadline: Deadline): Promise<void> {
  const freeze = asFreeze(deadline.payload);
  if (!freeze)
    return deps.logger.error({ deadline }, 'a freeze-end deadline without its freeze; nothing said');
  const now = deps.clock.now();
  const replacing = await current(deps, freeze.model, now);
  if (replacing && replacing.at !== freeze.at) return;
  const runbooks = freeze.model === EVERY_MODEL ? deps.runbooks.all : [deps.runbooks.get(freeze.model)];
  const covered = runbooks.filter((runbook): runbook is Runbook => runbook !== undefined);
  const text = `deploy freeze of ${frozenWhat(freeze.model)} by ${freeze.by} ended at ${iso(freeze.until)}: ${oneLine(freeze.reason)}; ${await whatStillHolds(deps, freeze.model, covered, now)}`;
  await announce(deps, covered, { type: 'gate.unfrozen', actor: 'rollbot', text, mark: '🌤' });
}

/** After a freeze of `target` ends: the freeze of every model holding a model, or the models frozen on their own. */
async function whatStillHolds(
  deps: EngineDeps,
  target: string,
  runbooks: readonly Runbook[],
  now: number,
): Promise<string> {
  if (target !== EVERY_MODEL) {
    const everyModel = await current(deps, EVERY_MODEL, now);
    return everyModel ? stillHolds(everyModel) : 'it no longer closes the deployment gate';
  }
  const frozen = await frozenOnTheirOwn(deps, runbooks, now);
  return frozen.length === 0
    ? 'it no longer closes the deployment gate'
    : staysFrozen(frozen.map((own) => own.model));
}

/** The freezes of their own in force of the models among `runbooks`. */
async function frozenOnTheirOwn(
  deps: Pick<EngineDeps, 'store'>,
  runbooks: readonly Runbook[],
  now: number,
): Promise<Freeze[]> {
  const own = await Promise.all(runbooks.map((runbook) => current(deps, runbook.model, now)));
  return own.filter((freeze): freeze is Freeze => freeze !== undefined);
}

const staysFrozen = (models: readonly string[]) =>
  `${models.join(', ')} ${models.length === 1 ? 'stays' : 'stay'} frozen on ${models.length === 1 ? 'its' : 'their'} own`;

const stillHolds = (everyModel: Freeze) =>
  `the deploy freeze of every model by ${everyModel.by} until ${iso(everyModel.until)} still holds it`;

async function current(
  deps: Pick<EngineDeps, 'store'>,
  target: string,
  now: number,
): Promise<Freeze | undefined> {
  const freeze = readFreeze(await deps.store.getValue(freezeKey(target)));
  return freeze && inForce(freeze, now) ? freeze : undefined;
}

/** The runbooks a freeze of `target` covers; UNKNOWN_MODEL for a model without one. */
function coveredBy(deps: EngineDeps, target: string): readonly Runbook[] {
  return target === EVERY_MODEL ? deps.runbooks.all : [deps.runbooks.require(target)];
}

async function notFrozen(deps: EngineDeps, target: string): Promise<RollbotError> {
  if (target === EVERY_MODEL) {
    return new RollbotError('CONFLICT', 'no freeze of every model is in force', {
      hint: 'a freeze of one model is lifted on its own: /rollbot unfreeze <model> in Slack, rollbot gate unfreeze <model>, or POST /api/gate/<model>/unfreeze',
    });
  }
  const everyModel = await current(deps, EVERY_MODEL, deps.clock.now());
  if (everyModel) {
    return new RollbotError('CONFLICT', `${target} is not frozen on its own`, {
      hint: `the freeze of every model by ${everyModel.by} until ${iso(everyModel.until)} holds it: lift that one (/rollbot unfreeze --all in Slack, rollbot gate unfreeze --all, or POST /api/gate/*/unfreeze)`,
    });
  }
  return new RollbotError('CONFLICT', `${target} is not frozen`, {
    hint: `GET /api/gate/${target} says what closes its gate, if anything`,
  });
}

/**
 * Who may freeze or lift: for a model, whom its runbook's rollback.approvers allow (as for an override); for `*`,
 * only someone every runbook allows, since it stops (or lets go) every team's deployments. A denial is recorded
 * on the latest incident of each model that refuses.
 */
async function authorizeFreeze(
  deps: EngineDeps,
  groupsOf: GroupResolver,
  target: string,
  runbooks: readonly Runbook[],
  userId: string,
  action: Action,
): Promise<void> {
  const [only] = runbooks;
  if (target !== EVERY_MODEL && only) {
    const latest = await latestIncident(deps, only.model);
    await actingAs({ runbooks: deps.runbooks, groupsOf }, { userId, model: only.model }, (actor) =>
      authorize(deps, only, actor, action, latest),
    );
    return;
  }
  const candidates = [...new Set(runbooks.flatMap((runbook) => runbook.rollback.approvers))];
  const { groups, unchecked } = await groupsOf(userId, candidates);
  const actor: Actor = { id: userId, groups, ...(unchecked.length ? { unchecked } : {}) };
  const refusing = runbooks.filter((runbook) => !mayAct(runbook.rollback.approvers, actor));
  if (refusing.length === 0) return;
  const note = uncheckedGroupsNote(actor.unchecked);
  const whose = refusing.map(
    (runbook) => `the runbook of ${runbook.model} allows ${runbook.rollback.approvers.join(', ')}`,
  );
  const text = `${userId} may not ${action} every model: ${whose.join('; ')}${note.why}`;
  for (const runbook of refusing)
    await noteDenial(deps, runbook, actor, text, await latestIncident(deps, runbook.model));
  const ask = `a freeze of every model is set or lifted by someone every runbook's rollback.approvers allows: act on the models you may one by one, or ask someone who may`;
  throw new RollbotError('FORBIDDEN', text, { hint: note.fix ? `${note.fix}; or ${ask}` : ask });
}

/**
 * A freeze set or lifted goes on the latest incident of each model it covers (as an override does), in the log,
 * and to each runbook's channel once: the people about to deploy are told, not only CI.
 */
async function announce(
  deps: EngineDeps,
  runbooks: readonly Runbook[],
  entry: { type: 'gate.frozen' | 'gate.unfrozen'; actor: string; text: string; mark: string },
): Promise<void> {
  for (const runbook of runbooks) {
    const latest = await latestIncident(deps, runbook.model);
    if (latest) await record(deps, latest, { type: entry.type, actor: entry.actor, text: entry.text });
  }
  deps.logger.warn({ models: runbooks.map((runbook) => runbook.model), by: entry.actor }, entry.text);
  for (const channel of new Set(runbooks.map((runbook) => runbook.channel))) {
    await deps.notifier.notify({ type: 'channel.message', channel, text: `${entry.mark} ${entry.text}` });
  }
}
