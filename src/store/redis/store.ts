import { Redis, type RedisOptions } from 'ioredis';
import type { Logger, Store } from '../../engine/ports.js';
import { createLogger } from '../../observability/logger.js';
import { redisDeadlines } from './deadlines.js';
import { redisIncidents } from './incidents.js';
import { storeKeys } from './keys.js';
import { redisLedger } from './ledger.js';
import { pxMs, redisLock } from './lock.js';
import { integerReply } from './replies.js';
import { runScript, SET_VALUE_IF_HELD, TAKE_VALUE_IF_HELD } from './scripts.js';
import { redisTimeline } from './timeline.js';

export interface RedisStoreOptions {
  /**
   * A `redis://` URL, or an ioredis connection. From a URL the store opens its own connection and `close()`
   * quits it. A connection passed in stays the caller's: `close()` leaves it open, and the store adds nothing
   * to it (no defineCommand), so it can be shared.
   */
  redis: Redis | string;
  /**
   * Prepended to every key (default `rollbot:`). Use one per deployment, or per test. On Redis Cluster give
   * it a hash tag, e.g. `{rollbot}:`, because scripts touch several keys at once.
   */
  prefix?: string;
  /**
   * How a connection opened from a URL copes with Redis being away. Unset: ioredis's defaults, which ride out
   * an outage (reconnect forever, 20 retries per command), as the bot must. A one-shot command sets e.g.
   * `retryStrategy: () => null` and `maxRetriesPerRequest: 0` to fail in seconds instead.
   */
  connection?: Pick<
    RedisOptions,
    'connectTimeout' | 'commandTimeout' | 'maxRetriesPerRequest' | 'retryStrategy'
  >;
  /** Where a lost connection is reported: one warning per outage, one line when it is back. */
  logger?: Logger;
}

/** The URL with its password hidden (`redis://user:***@host`), fit for logs and error messages. */
export function maskRedisUrl(url: string): string {
  // Up to the last `@` before the path, so that a password holding an unescaped `@` is masked whole.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^/]*@/i, '$1:***@');
}

/**
 * The production store (DESIGN §6): Redis is also how replicas coordinate, so every check-then-write runs as
 * one Lua script (scripts.ts) and any number of store instances may share one Redis and prefix. Key layout:
 * keys.ts.
 */
export function createRedisStore(options: RedisStoreOptions): Store {
  const owned = typeof options.redis === 'string';
  const url = typeof options.redis === 'string' ? maskRedisUrl(options.redis) : undefined;
  const logger = options.logger ?? createLogger({ level: 'warn' });
  const redis =
    typeof options.redis === 'string'
      ? new Redis(options.redis, {
          reconnectOnError: reconnectOnReadOnly(url ?? '', logger),
          ...options.connection,
        })
      : options.redis;
  const keys = storeKeys(options.prefix ?? 'rollbot:');
  let currentOutage: (() => Error | undefined) | undefined;
  if (url !== undefined) {
    currentOutage = trackOutages(redis, url, logger);
    warnOfEviction(redis, url, logger);
  }
  let closing: Promise<void> | undefined;

  return {
    ...redisIncidents(redis, keys),
    ...redisTimeline(redis, keys),
    ...redisLock(redis, keys),
    ...redisDeadlines(redis, keys),
    ...redisLedger(redis, keys),

    async setValue(key, value, ttlMs) {
      if (ttlMs === undefined) await redis.set(keys.value(key), value);
      else await redis.set(keys.value(key), value, 'PX', pxMs(ttlMs));
    },

    async getValue(key) {
      return (await redis.get(keys.value(key))) ?? undefined;
    },

    async compareAndSetValue(key, expected, value, ttlMs) {
      const at = keys.value(key);
      if (expected === undefined) {
        const set =
          ttlMs === undefined
            ? await redis.set(at, value, 'NX')
            : await redis.set(at, value, 'PX', pxMs(ttlMs), 'NX');
        return set === 'OK';
      }
      const ttl = ttlMs === undefined ? '' : pxMs(ttlMs);
      const reply = await runScript(redis, SET_VALUE_IF_HELD, [at], [expected, value, ttl]);
      return integerReply(reply, 'value compare-and-set') === 1;
    },

    async takeValueIfHeld(key, expected) {
      const reply = await runScript(redis, TAKE_VALUE_IF_HELD, [keys.value(key)], [expected]);
      return integerReply(reply, 'value take-if-held') === 1;
    },

    async claimOnce(key, ttlMs) {
      return (await redis.set(keys.once(key), '1', 'PX', pxMs(ttlMs), 'NX')) === 'OK';
    },

    async ping() {
      try {
        // A write, not PING, which a read-only replica answers too (a failover's old primary, still connected to):
        // there every write fails, and /readyz must say so. The key is never written, so nothing is left behind.
        await redis.del(keys.readyProbe);
      } catch (error) {
        // While the connection is down a command fails with a generic "Connection is closed." or "max retries";
        // the connection's own error (ECONNREFUSED, ENOTFOUND, …) says what is wrong.
        throw currentOutage?.() ?? error;
      }
    },

    close() {
      // Concurrent and repeated calls share one close.
      closing ??= owned ? quitOrDrop(redis) : Promise.resolve();
      return closing;
    },
  };
}

/**
 * QUIT lets a live connection finish its replies. A connection that is not up has none to finish, and a QUIT
 * would wait for it to come back (or be refused once it gave up), so it is dropped instead.
 */
async function quitOrDrop(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
}

/** How often, at most, a write refused by a read-only replica is logged (it is refused again until a reconnect). */
const READ_ONLY_WARN_EVERY_MS = 60_000;

/**
 * Has the connection connect again when Redis refuses a write as a read-only replica: a failover demoted the node
 * it is connected to, and the new primary behind the same address (DNS, a Service) is reached only by connecting
 * anew. Without it every write fails with READONLY for as long as the connection lasts, for good. The refused
 * command fails (its caller tries again: a deadline after its lease, an alert sender on the 503); it is not sent
 * again by itself, which against a Redis left read-only would loop.
 */
function reconnectOnReadOnly(url: string, logger: Logger): (error: Error) => boolean {
  let warnedAt = -Infinity;
  return (error) => {
    if (!error.message.startsWith('READONLY')) return false;
    if (Date.now() - warnedAt >= READ_ONLY_WARN_EVERY_MS) {
      warnedAt = Date.now();
      logger.warn(
        { err: error, redis: url },
        `Redis at ${url} refused a write as a read-only replica (a failover?): connecting again to reach the primary`,
      );
    }
    return true;
  };
}

/**
 * Warns, each time the connection is ready, when Redis evicts keys once it reaches its maxmemory (a managed
 * Redis's default is often volatile-lru): the keys with a ttl go first, and those are the locks and idempotency
 * keys that make a rollback, a page or a Slack post happen once across replicas (allkeys-* takes incidents and
 * deadlines too). Redis says nothing when it evicts, so this is the one place to say it. A Redis that refuses INFO
 * is not one rollbot can check: logged at debug.
 */
function warnOfEviction(redis: Redis, url: string, logger: Logger): void {
  redis.on('ready', () => {
    redis.info('memory').then(
      (info) => {
        const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
        const policy = field('maxmemory_policy');
        // Without a maxmemory (0) Redis never evicts, whatever the policy.
        if (Number(field('maxmemory') ?? 0) === 0 || policy === undefined || policy === 'noeviction') return;
        logger.warn(
          { redis: url, maxmemoryPolicy: policy },
          `Redis at ${url} evicts keys when it reaches maxmemory (maxmemory-policy ${policy}): a lock or ` +
            'idempotency key it evicts lets a rollback, page or post run twice; set maxmemory-policy noeviction',
        );
      },
      (error: unknown) => logger.debug({ err: error, redis: url }, 'could not read Redis maxmemory-policy'),
    );
  });
}

/**
 * Listens to the connection's errors (without a listener ioredis prints every failed reconnect to stderr):
 * logs the first of an outage, and that Redis is back when it is. Returns the current outage's error, if any.
 */
function trackOutages(redis: Redis, url: string, logger: Logger): () => Error | undefined {
  let outage: Error | undefined;
  redis.on('error', (error: Error) => {
    if (outage) return;
    outage = error;
    logger.warn(
      { err: error, redis: url },
      `Redis at ${url} is unreachable (${error.message}): check that it is running`,
    );
  });
  redis.on('ready', () => {
    if (!outage) return;
    outage = undefined;
    logger.info({ redis: url }, `Redis at ${url} is back`);
  });
  return () => outage;
}
