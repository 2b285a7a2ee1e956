import type { Redis } from 'ioredis';
import { RollbotError } from '../../core/errors.js';
import { headOf, isOpen, type Incident, type IncidentHead } from '../../core/incident.js';
import type { AlertRef } from '../../core/alert-ref.js';
import type { IncidentStore } from '../../engine/ports.js';
import { checkEntriesOf } from '../ordering.js';
import { incidentLists } from './incident-lists.js';
import type { StoreKeys } from './keys.js';
import { fromRecordJson, toRecordJson } from './record-json.js';
import { integerReply, optionalIntegerReply, statusAndIdReply } from './replies.js';
import { CREATE_INCIDENT_IF_NONE_OPEN, UPDATE_INCIDENT, runScript } from './scripts.js';

/**
 * Incidents in Redis: a hash per incident, sorted-set indexes by openedAt and a pointer per model. The hash
 * holds `version`, `json` (the incident without its alert refs), `alerts` (the refs) and `refs` (how many).
 * The refs live apart because they are most of a big incident (100 refs, ~20 KB) and change least: lists read
 * without them, and a write that leaves them as they were does not send them again. A record written before
 * the split has its refs inside `json` and no `alerts` field; it is read as it is and split by its next write.
 */
export function redisIncidents(redis: Redis, keys: StoreKeys): IncidentStore {
  /**
   * The JSON each refs array was read or written as. Incidents are immutable (core returns new objects and
   * keeps `alerts` when it does not change them) and a write lands only on the version it was derived from,
   * so a refs array found here is what is stored: the write leaves the field alone.
   */
  const storedRefs = new WeakMap<readonly AlertRef[], string>();
  const lists = incidentLists(redis, keys);

  /**
   * Model → the id its open-incident pointer named when last read, which spares each alert joining an open
   * incident the pointer's round trip. Only ever a hint: an incident found open under it is the model's open
   * incident (a model has at most one, and an incident never opens again once over); any other finding reads
   * the pointer afresh.
   */
  const openIds = new Map<string, string>();

  /**
   * Model → its open incident as this replica last created or wrote it, which seenOpenIncidentFor hands out
   * unread (F24). Another replica's write since leaves it out of date, and a write from it is then refused by its
   * version. It goes once this replica writes or reads the incident over. Only writes are kept, not reads: a
   * reader may change what it was given (incidents are read isolated from their callers), whereas a writer's
   * incident is the one it stored, which updateIncident returns and callers already treat as immutable. At most
   * MAX_COPIES, the models written longest ago dropped first: a copy another replica closed stays until this one
   * reads it, and a thousand models' would hold 20 MB of alert refs.
   */
  const copies = new Map<string, Incident>();

  /** What a write stored: the model's copy while open; none once over. */
  function keep(incident: Incident): void {
    if (!isOpen(incident)) return forgetIfOver(incident);
    // Deleted first, so that the Map's order is the order of the models' last writes.
    copies.delete(incident.model);
    copies.set(incident.model, incident);
    const oldest = copies.keys().next();
    if (copies.size > MAX_COPIES && !oldest.done) copies.delete(oldest.value);
  }

  function forgetIfOver(incident: Incident): void {
    if (!isOpen(incident) && copies.get(incident.model)?.id === incident.id) copies.delete(incident.model);
  }

  function decodeIncident(fields: (string | null)[]): Incident | undefined {
    const [version, json, alerts] = fields;
    if (version == null || json == null) return undefined;
    // The hash's version is authoritative over the copy inside the JSON.
    const incident = { ...fromRecordJson<Incident>(json), version: storedVersion(version) };
    if (alerts != null) {
      incident.alerts = JSON.parse(alerts) as AlertRef[];
      storedRefs.set(incident.alerts, alerts);
    }
    return incident;
  }

  async function getIncident(id: string): Promise<Incident | undefined> {
    const incident = decodeIncident(await redis.hmget(keys.incident(id), ...INCIDENT_FIELDS));
    if (incident) forgetIfOver(incident);
    return incident;
  }

  async function openIncidentFor(model: string): Promise<Incident | undefined> {
    const hinted = openIds.get(model);
    if (hinted !== undefined) {
      const incident = await getIncident(hinted);
      if (incident && isOpen(incident)) return incident;
      openIds.delete(model);
    }
    const id = await redis.get(keys.modelOpenIncident(model));
    if (id === null) return undefined;
    const incident = await getIncident(id);
    if (incident && isOpen(incident)) openIds.set(model, id);
    return incident;
  }

  /** The refs' JSON for a write of `incident`: UNCHANGED when they are the ones stored. */
  function refsToWrite(incident: Incident): string {
    return storedRefs.has(incident.alerts) ? UNCHANGED : JSON.stringify(incident.alerts);
  }

  return {
    async nextIncidentId() {
      return `INC-${await redis.incr(keys.incidentSeq)}`;
    },

    async createIfNoneOpen(incident) {
      if (!isOpen(incident)) {
        throw new RollbotError(
          'ILLEGAL_TRANSITION',
          `incident ${incident.id} is ${incident.phase}, not open`,
          {
            hint: 'create incidents with openIncident() from core/incident.ts',
          },
        );
      }
      const alerts = JSON.stringify(incident.alerts);
      const reply = await runScript(
        redis,
        CREATE_INCIDENT_IF_NONE_OPEN,
        [
          keys.modelOpenIncident(incident.model),
          keys.incident(incident.id),
          keys.allIncidents,
          keys.openIncidents,
          keys.modelIncidents(incident.model),
        ],
        [
          incident.id,
          incident.version,
          headJson(incident, incident.version),
          alerts,
          incident.alerts.length,
          incident.openedAt,
        ],
      );
      const { status, id } = statusAndIdReply(reply, 'createIfNoneOpen');
      if (status === -1) {
        throw new RollbotError('CONFLICT', `incident ${id} already exists`, {
          hint: 'take a fresh id from nextIncidentId()',
        });
      }
      // Return what was stored (as getIncident would), not the caller's object.
      if (status === 1) {
        const stored = structuredClone(incident);
        storedRefs.set(stored.alerts, alerts);
        openIds.set(incident.model, incident.id);
        // A copy of its own: the caller may change the one it is given.
        const copy = structuredClone(incident);
        storedRefs.set(copy.alerts, alerts);
        keep(copy);
        return { incident: stored, created: true };
      }
      // Read after the script: the existing incident may have moved on meanwhile, which callers see by its phase.
      const existing = await getIncident(id);
      if (!existing) {
        throw new Error(`open-incident pointer of ${incident.model} names ${id}, which is missing`);
      }
      return { incident: existing, created: false };
    },

    getIncident,

    openIncidentFor,

    async seenOpenIncidentFor(model) {
      return copies.get(model) ?? openIncidentFor(model);
    },

    async updateIncident(incident, options = {}) {
      const alertKeys = options.alertKeys ?? [];
      const deadlines = options.deadlines ?? [];
      const timeline = options.timeline ?? [];
      checkEntriesOf(incident.id, timeline);
      const alerts = refsToWrite(incident);
      const reply = await runScript(
        redis,
        UPDATE_INCIDENT,
        [
          keys.incident(incident.id),
          keys.openIncidents,
          keys.modelOpenIncident(incident.model),
          keys.incidentAlertKeys(incident.id),
          keys.timeline(incident.id),
          keys.deadlineQueue,
          keys.deadlineData,
          keys.timelineTypes(incident.id),
        ],
        [
          incident.id,
          incident.version,
          headJson(incident, incident.version + 1),
          alerts,
          incident.alerts.length,
          isOpen(incident) ? '1' : '0',
          alertKeys.length,
          deadlines.length,
          ...alertKeys,
          // As `schedule` stores them (deadlines.ts).
          ...deadlines.flatMap((deadline) => [deadline.id, deadline.dueAt, JSON.stringify(deadline)]),
          // JSON.stringify omits undefined fields, as `append` stores them.
          ...timeline.flatMap((entry) => [entry.type, JSON.stringify(entry)]),
        ],
      );
      const version = optionalIntegerReply(reply, 'updateIncident');
      if (version === undefined) return undefined;
      if (alerts !== UNCHANGED) storedRefs.set(incident.alerts, alerts);
      // What was stored is the caller's incident at the new version: parsing back the JSON just built (20 KB
      // for an incident with its 100 alert refs) cost more CPU than the write itself under an alert storm.
      // The copy shares objects with the argument, which callers treat as immutable (core returns new ones).
      const stored = { ...incident, version };
      keep(stored);
      return stored;
    },

    async knownAlertKeys(incidentId, alertKeys) {
      if (alertKeys.length === 0) return new Set();
      const members = await redis.smismember(keys.incidentAlertKeys(incidentId), ...alertKeys);
      return new Set(alertKeys.filter((_, i) => members[i] === 1));
    },

    async listIncidents(filter) {
      return lists.list(filter, INCIDENT_FIELDS, decodeIncident);
    },

    async listIncidentHeads(filter) {
      return lists.list(filter, HEAD_FIELDS, decodeHead);
    },
  };
}

/** How many models' open incidents a replica keeps as it last wrote them (seenOpenIncidentFor). */
export const MAX_COPIES = 100;

const INCIDENT_FIELDS = ['version', 'json', 'alerts'] as const;
const HEAD_FIELDS = ['version', 'json', 'refs'] as const;
/** In place of the refs' JSON: the write leaves the stored refs as they are. */
const UNCHANGED = '';

/** The incident as stored in `json`: without its refs, at `version`. */
function headJson(incident: Incident, version: number): string {
  return toRecordJson({ ...incident, alerts: undefined, version });
}

function storedVersion(version: string): number {
  return integerReply(Number(version), 'incident version');
}

/** A record's head; one written before the split carries its refs inside `json`, counted and dropped here. */
function decodeHead(fields: (string | null)[]): IncidentHead | undefined {
  const [version, json, refs] = fields;
  if (version == null || json == null) return undefined;
  const stored = { ...fromRecordJson<Incident>(json), version: storedVersion(version) };
  if (refs == null) return headOf(stored);
  return { ...stored, alertRefs: integerReply(Number(refs), 'incident refs') };
}
