import type { Redis } from 'ioredis';
import { markLifted, type Deployment } from '../../core/ledger.js';
import type { Ledger } from '../../engine/ports.js';
import { LEDGER_DEFAULT_LIMIT, LEDGER_KEEP } from '../memory-ledger.js';
import type { StoreKeys } from './keys.js';

/**
 * The deployment ledger: one list per model, newest first, capped; rolled-back marks in a hash beside it so
 * that marking never rewrites the list (appends and marks can run concurrently without a script). A mark stays
 * when the version is deployed again; `rolledBack` leaves out the marks such a deployment lifted.
 */
export function redisLedger(redis: Redis, keys: StoreKeys): Ledger {
  return {
    async recordDeployment(deployment) {
      const key = keys.ledger(deployment.model);
      await redis
        .multi()
        .lpush(key, JSON.stringify(deployment))
        .ltrim(key, 0, LEDGER_KEEP - 1)
        .exec();
      return { ...deployment };
    },
    async deployments(model, limit = LEDGER_DEFAULT_LIMIT) {
      const [entries, marks] = await Promise.all([
        redis.lrange(keys.ledger(model), 0, limit - 1),
        redis.hgetall(keys.ledgerRolledBack(model)),
      ]);
      return entries.map((json) => {
        const deployment = JSON.parse(json) as Deployment;
        const mark = marks[deployment.version];
        if (!mark) return deployment;
        const { at, incidentId } = JSON.parse(mark) as { at: number; incidentId: string };
        return { ...deployment, rolledBackAt: at, incidentId };
      });
    },
    async rolledBack(model) {
      const marks = await redis.hgetall(keys.ledgerRolledBack(model));
      if (Object.keys(marks).length === 0) return {};
      // The window the ledger's readers see (deployments' default), so that both agree on which marks hold.
      const entries = await redis.lrange(keys.ledger(model), 0, LEDGER_DEFAULT_LIMIT - 1);
      const deployments = entries.map((json) => JSON.parse(json) as Deployment);
      return Object.fromEntries(
        Object.entries(marks)
          .map(
            ([version, json]) => [version, JSON.parse(json) as { at: number; incidentId: string }] as const,
          )
          .filter(([version, mark]) => !markLifted(deployments, version, mark.at)),
      );
    },
    async markRolledBack(model, version, at, incidentId) {
      await redis.hset(keys.ledgerRolledBack(model), version, JSON.stringify({ at, incidentId }));
    },
  };
}
