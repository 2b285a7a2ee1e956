/**
 * A settlement after a restart that finds the change not landed yet (recovery.ts): a redeploy with a long ETA, a
 * SageMaker UpdateEndpoint, may still be on its way. The rollback's own wait would have kept reading the layer
 * until its attempt's bound (rollbackAttemptDeadline); the settlement does too, by a deadline in the store rather
 * than a sleep, so that the look after this one survives another restart and is taken by any replica.
 */
import { formatDuration } from '../core/duration.js';
import type { Incident } from '../core/incident.js';
import type { RollbackRecord } from '../core/rollback.js';
import type { Runbook } from '../runbooks/schema.js';
import type { EngineDeps } from './context.js';
import type { Finding } from './recovery-outcomes.js';
import { rollbackAttemptDeadline } from './retry.js';

/**
 * Time between looks. Longer than the rollback's own poll (seconds): each look is a deadline claimed, a lock
 * taken and a read of the layer, and a change that takes minutes is not missed by a quarter of one.
 */
export const LOOK_AGAIN_MS = 15_000;

/** The timeline entry that says, once per attempt, that the settlement waits for the change to land. */
const WAITING = 'rollback.waiting';

/**
 * When to read the layer again, and until when, or undefined: settle now. Only a finding the change still
 * landing explains, inside the attempt's bound: past it, the rollback's own wait would have given up too. A drill
 * fails anyway for the stop (its drill target is only read once), and a layer rollbot cannot read tells no more
 * later.
 */
export function nextLook(
  incident: Incident,
  rollback: RollbackRecord,
  finding: Pick<Finding, 'landed'> & { mayStillLand?: true },
  now: number,
): { at: number; until: number } | undefined {
  if (finding.landed || !finding.mayStillLand || incident.drill) return undefined;
  const until = rollbackAttemptDeadline(incident, rollback);
  if (now >= until) return undefined;
  return { at: Math.min(now + LOOK_AGAIN_MS, until), until };
}

/**
 * Says in the incident's channel, once per attempt, that the outcome is not escalated yet and why: a person who
 * saw rollbot restart must not take the silence for a rollback that landed, nor run it again meanwhile. The entry
 * is taken once per attempt (appendOnce), so two replicas, or two looks, never both say it.
 */
export async function sayStillLanding(
  deps: EngineDeps,
  runbook: Runbook,
  incident: Incident,
  rollback: RollbackRecord,
  look: { until: number; why: string },
): Promise<void> {
  const { to, etaMs } = rollback.plan;
  const text = `rollbot restarted during the rollback to ${to}: ${look.why}, but the change may still be landing (the plan expected ${formatDuration(etaMs)}): rollbot does not run it again; it reads ${rollback.target} again until ${new Date(look.until).toISOString()} and escalates if the layer says the change failed, or traffic is not on ${to} by then`;
  // Recorded first: said at most once, should this replica die in between (the escalation, if any, is the
  // message that must arrive, and has its own stand-in).
  const entry = await deps.store.appendOnce(
    {
      incidentId: incident.id,
      at: deps.clock.now(),
      type: WAITING,
      actor: 'rollbot',
      text,
      data: { attempt: rollback.attempt },
    },
    `${WAITING}:${rollback.attempt}`,
  );
  if (!entry) return;
  await deps.notifier.notify({
    type: 'incident.updated',
    incident,
    channel: runbook.channel,
    text: entry.text,
  });
}
