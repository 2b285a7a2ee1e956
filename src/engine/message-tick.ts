import type { Incident } from '../core/incident.js';
import { viewStages } from '../core/incident-stages.js';
import { runbookOf, type EngineDeps } from './context.js';

/**
 * How often the message of an incident with a running stage is redrawn. The incident message shows that
 * stage's elapsed time against its target; without a redraw it would stay as of the last event for minutes.
 */
export const MESSAGE_TICK_MS = 60_000;
/**
 * How long a redraw keeps other replicas' ticks off the same incident: a little under the period, so that a
 * replica's own next tick (timers drift) is never refused while the other replicas' ticks in between are.
 */
const REDRAW_CLAIM_MS = MESSAGE_TICK_MS - 5_000;
/** Open incidents looked at per tick, newest first: a storm's oldest wait for their next event instead. */
const MAX_TICKED = 100;

/**
 * One tick: asks the notifier to redraw each open incident with a running stage, unless a replica did within
 * REDRAW_CLAIM_MS (so one redraw a minute, whatever the number of replicas). Resolves with how many it redrew.
 */
export async function tickOpenIncidents(deps: EngineDeps): Promise<number> {
  const now = deps.clock.now();
  const open = await deps.store.listIncidents({ open: true, limit: MAX_TICKED });
  let redrawn = 0;
  for (const incident of open) {
    const runbook = runbookOf(deps, incident);
    if (!runbook || !hasRunningStage(incident, now)) continue;
    if (!(await deps.store.claimOnce(`message-tick:${incident.id}`, REDRAW_CLAIM_MS))) continue;
    await deps.notifier.notify({ type: 'incident.tick', incident, channel: runbook.channel });
    redrawn += 1;
  }
  return redrawn;
}

function hasRunningStage(incident: Incident, now: number): boolean {
  return viewStages(incident, now).some((stage) => stage.state === 'running');
}

/** Ticks every `intervalMs` in the background; a tick still running when the next is due is not doubled. */
export function startMessageTicker(
  deps: EngineDeps,
  intervalMs = MESSAGE_TICK_MS,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= tickOpenIncidents(deps)
      .then(
        () => undefined,
        (error: unknown) => deps.logger.error({ err: error }, 'message tick failed (store unreachable?)'),
      )
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
