import { RollbotError } from '../core/errors.js';
import type { EngineDeps } from '../engine/context.js';
import type { Logger } from '../engine/ports.js';
import { dismissAs } from '../engine/decisions.js';
import type { GroupResolver } from '../engine/group-membership.js';
import { recordDeployment } from '../engine/deployments.js';
import { runDrillNow } from '../engine/drill-start.js';
import { deploymentGate } from '../engine/gate.js';
import { freezeDeployments, liftFreeze } from '../engine/freeze.js';
import { addNote } from '../engine/notes.js';
import { rollback } from '../engine/rollback.js';
import { resolve } from '../engine/resolve.js';
import type { PagingNotifier } from '../paging/notifier.js';
import type { SlackNotifier } from '../slack/notifier/notifier.js';
import { drillListings } from '../scheduling/drills.js';
import { createRedisStore, maskRedisUrl } from '../store/redis/store.js';
import { incidentPage } from '../engine/incident-pages.js';
import { incidentDetail, viewIncident } from '../engine/views.js';
import type { Backend } from './backend-port.js';

/**
 * Runs the engine in this process, on the store and serving layers the config names. `groupsOf` says who is in a
 * runbook's approver groups: without a Slack client, the snapshots the bot keeps in the same store. `slack` and
 * `paging`, the composed notifiers, are waited for on close: what a command caused must leave before its process
 * exits.
 */
export function localBackend(
  deps: EngineDeps & {
    groupsOf: GroupResolver;
    paging?: Pick<PagingNotifier, 'idle'>;
    slack?: { notifier: Pick<SlackNotifier, 'close'> };
  },
): Backend {
  return {
    listIncidents: (filter) => incidentPage(deps, filter, '--before'),
    incident: (id) => incidentDetail(deps, id),
    rollback: (request, onStep) => rollback(deps, request, onStep),
    recordDeployment: async (input) => ({
      deployment: await recordDeployment(deps, input),
      gate: await deploymentGate(deps, input.model),
    }),
    resolve: async (id, by, reason) =>
      viewIncident(await resolve(deps, id, { by, reason }), deps.clock.now()),
    dismiss: async (id, { by, reason }) =>
      viewIncident(
        await dismissAs(deps, deps.groupsOf, id, { userId: by, reason, trigger: 'cli' }),
        deps.clock.now(),
      ),
    note: (id, note) => addNote(deps, id, note),
    freeze: (target, { by, until, reason }) =>
      freezeDeployments(deps, deps.groupsOf, target, { userId: by, until, reason }),
    unfreeze: (target, { by, reason }) =>
      liftFreeze(deps, deps.groupsOf, target, { userId: by, ...(reason ? { reason } : {}) }),
    drills: () => drillListings(deps),
    runDrill: (model, options) => runDrillNow(deps, model, options),
    // The Slack messages and pages the command caused (the resolve of an incident it ended) go before its process
    // exits, as they do at the bot's shutdown: within the same deadlines, and those abandoned then are logged.
    close: async () => {
      await deps.slack?.notifier.close();
      await deps.paging?.idle();
      await deps.store.close();
    },
  };
}

/**
 * A command is run by someone waiting for it, so it tries Redis once, for a few seconds, where the bot would
 * keep reconnecting through an outage (ioredis's defaults take over a minute to give up on a command).
 */
const ONE_ATTEMPT = {
  connectTimeout: 3_000,
  commandTimeout: 3_000,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
};

/** Fails within seconds, naming the fix, when Redis at `url` does not answer a PING. */
export async function assertRedisReachable(url: string, logger: Logger): Promise<void> {
  const probe = createRedisStore({ redis: url, connection: ONE_ATTEMPT, logger });
  try {
    await probe.ping();
  } catch (error) {
    const reason = (error as { code?: unknown }).code ?? (error as Error).message;
    throw new RollbotError('UNAVAILABLE', `cannot reach Redis at ${maskRedisUrl(url)} (${String(reason)})`, {
      hint: 'check REDIS_URL and that Redis is running, or set ROLLBOT_URL to use a running bot',
      cause: error,
    });
  } finally {
    await probe.close();
  }
}
