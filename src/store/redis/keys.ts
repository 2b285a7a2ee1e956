/**
 * Every Redis key the store touches, built here and nowhere else (BullMQ's queue-keys style), so that the
 * layout can be read in one place and a prefix isolates one deployment (or one test) from another.
 *
 * Layout, for prefix `rollbot:`:
 *
 * | key                                  | type   | holds                                                   |
 * |--------------------------------------|--------|---------------------------------------------------------|
 * | `rollbot:incident-seq`               | string | counter behind `INC-<n>`                                |
 * | `rollbot:incident:<id>`              | hash   | `version` (authoritative), `json` (the incident)        |
 * | `rollbot:incident-alerts:<id>`       | set    | every alert key that joined the incident (dedup)        |
 * | `rollbot:incidents`                  | zset   | every incident id, score openedAt                       |
 * | `rollbot:incidents:open`             | zset   | ids of incidents in an open phase, score openedAt       |
 * | `rollbot:model-incidents:<model>`    | zset   | one model's incident ids, score openedAt                |
 * | `rollbot:model-open:<model>`         | string | id of the model's open incident (the one-per-model rule)|
 * | `rollbot:timeline:<id>`              | list   | timeline entries as JSON, seq = position + 1            |
 * | `rollbot:timeline-keys:<id>`         | set    | keys the timeline took entries under (appendOnce)       |
 * | `rollbot:timeline-types:<id>`        | hash   | the timeline's entries by type (listOfTypes): `count`   |
 * |                                      |        | entries indexed, `type:<type>` their seqs (`1,4,9`);    |
 * |                                      |        | whole only while `count` is the timeline's length       |
 * | `rollbot:lock:<name>`                | string | lease JSON, expires with the lease (PX)                 |
 * | `rollbot:lock-fence-seq`             | string | fence counter of every lock; never expires              |
 * | `rollbot:lock-fence:<name>`          | string | the lock's last fence, for builds before 2026-12-04     |
 * |                                      |        | (which count on from it); expires a day on              |
 * | `rollbot:deadlines`                  | zset   | deadline ids, score = when it may next be handed out    |
 * | `rollbot:deadlines:data`             | hash   | deadline id → deadline JSON (with the original dueAt)   |
 * |                                      |        | and its handler's failures in a row, if any             |
 * | `rollbot:once:<key>`                 | string | idempotency key, expires with its ttl                   |
 * | `rollbot:value:<key>`                | string | a small value (Slack message ref, user-group snapshot)  |
 * | `rollbot:ledger:<model>`             | list   | deployments as JSON, newest first, capped               |
 * | `rollbot:ledger-rolled-back:<model>` | hash   | version → {at, incidentId} of the rollback away from it |
 * | `rollbot:ready-probe`                | —      | never written: ping() deletes it, to check writes work  |
 *
 * Each family has its own literal before the variable part, so no model, id or lock name can make two
 * families collide. Lua scripts touch several keys at once: on Redis Cluster use a prefix with a hash tag,
 * e.g. `{rollbot}:`, so that all of them land in one slot.
 */
export interface StoreKeys {
  readonly prefix: string;
  readonly incidentSeq: string;
  incident(id: string): string;
  incidentAlertKeys(id: string): string;
  readonly allIncidents: string;
  readonly openIncidents: string;
  modelIncidents(model: string): string;
  modelOpenIncident(model: string): string;
  timeline(incidentId: string): string;
  timelineKeys(incidentId: string): string;
  timelineTypes(incidentId: string): string;
  lock(name: string): string;
  readonly lockFenceSeq: string;
  lockFence(name: string): string;
  readonly deadlineQueue: string;
  readonly deadlineData: string;
  once(key: string): string;
  value(key: string): string;
  ledger(model: string): string;
  ledgerRolledBack(model: string): string;
  readonly readyProbe: string;
}

/** The key names for one prefix. */
export function storeKeys(prefix: string): StoreKeys {
  return {
    prefix,
    incidentSeq: `${prefix}incident-seq`,
    incident: (id) => `${prefix}incident:${id}`,
    incidentAlertKeys: (id) => `${prefix}incident-alerts:${id}`,
    allIncidents: `${prefix}incidents`,
    openIncidents: `${prefix}incidents:open`,
    modelIncidents: (model) => `${prefix}model-incidents:${model}`,
    modelOpenIncident: (model) => `${prefix}model-open:${model}`,
    timeline: (incidentId) => `${prefix}timeline:${incidentId}`,
    timelineKeys: (incidentId) => `${prefix}timeline-keys:${incidentId}`,
    timelineTypes: (incidentId) => `${prefix}timeline-types:${incidentId}`,
    lock: (name) => `${prefix}lock:${name}`,
    lockFenceSeq: `${prefix}lock-fence-seq`,
    lockFence: (name) => `${prefix}lock-fence:${name}`,
    deadlineQueue: `${prefix}deadlines`,
    deadlineData: `${prefix}deadlines:data`,
    once: (key) => `${prefix}once:${key}`,
    value: (key) => `${prefix}value:${key}`,
    ledger: (model) => `${prefix}ledger:${model}`,
    ledgerRolledBack: (model) => `${prefix}ledger-rolled-back:${model}`,
    readyProbe: `${prefix}ready-probe`,
  };
}
