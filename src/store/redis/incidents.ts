import type { Redis } from 'ioredis';
import { RollbotError } from '../../core/errors.js';
import { isOpen, type Incident } from '../../core/incident.js';
import type { IncidentStore } from '../../engine/ports.js';
import { checkEntriesOf } from '../ordering.js';
import type { StoreKeys } from './keys.js';
import { integerReply, optionalIntegerReply, statusAndIdReply } from './replies.js';
import { CREATE_INCIDENT_IF_NONE_OPEN, UPDATE_INCIDENT, runScript } from './scripts.js';

const DEFAULT_LIST_LIMIT = 100;

/** Incidents in Redis: a hash per incident, sorted-set indexes by openedAt and a pointer per model. */
export function redisIncidents(redis: Redis, keys: StoreKeys): IncidentStore {
  async function getIncident(id: string): Promise<Incident | undefined> {
    const [version, json] = await redis.hmget(keys.incident(id), 'version', 'json');
    return decodeIncident(version, json);
  }

  /** Loads many incidents in one round trip, skipping ids whose record is missing. */
  async function loadIncidents(ids: readonly string[]): Promise<Incident[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hmget(keys.incident(id), 'version', 'json');
    const results = (await pipeline.exec()) ?? [];
    const incidents: Incident[] = [];
    for (const [error, fields] of results) {
      if (error) throw error;
      const [version, json] = fields as (string | null)[];
      const incident = decodeIncident(version, json);
      if (incident) incidents.push(incident);
    }
    return incidents;
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
      const json = JSON.stringify(incident);
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
        [incident.id, incident.version, json, incident.openedAt],
      );
      const { status, id } = statusAndIdReply(reply, 'createIfNoneOpen');
      if (status === -1) {
        throw new RollbotError('CONFLICT', `incident ${id} already exists`, {
          hint: 'take a fresh id from nextIncidentId()',
        });
      }
      // Return what was stored (as getIncident would), not the caller's object.
      if (status === 1) return { incident: parseIncident(json, incident.version), created: true };
      // Read after the script: the existing incident may have moved on meanwhile, which callers see by its phase.
      const existing = await getIncident(id);
      if (!existing) {
        throw new Error(`open-incident pointer of ${incident.model} names ${id}, which is missing`);
      }
      return { incident: existing, created: false };
    },

    getIncident,

    async openIncidentFor(model) {
      const id = await redis.get(keys.modelOpenIncident(model));
      return id === null ? undefined : getIncident(id);
    },

    async updateIncident(incident, options = {}) {
      const alertKeys = options.alertKeys ?? [];
      const timeline = options.timeline ?? [];
      checkEntriesOf(incident.id, timeline);
      const json = JSON.stringify({ ...incident, version: incident.version + 1 });
      const reply = await runScript(
        redis,
        UPDATE_INCIDENT,
        [
          keys.incident(incident.id),
          keys.openIncidents,
          keys.modelOpenIncident(incident.model),
          keys.incidentAlertKeys(incident.id),
          keys.timeline(incident.id),
        ],
        [
          incident.id,
          incident.version,
          json,
          isOpen(incident) ? '1' : '0',
          alertKeys.length,
          ...alertKeys,
          // JSON.stringify omits undefined fields, as `append` stores them.
          ...timeline.map((entry) => JSON.stringify(entry)),
        ],
      );
      const version = optionalIntegerReply(reply, 'updateIncident');
      // What was stored is the caller's incident at the new version: parsing back the JSON just built (20 KB
      // for an incident with its 100 alert refs) cost more CPU than the write itself under an alert storm.
      // The copy shares objects with the argument, which callers treat as immutable (core returns new ones).
      return version === undefined ? undefined : { ...incident, version };
    },

    async knownAlertKeys(incidentId, alertKeys) {
      if (alertKeys.length === 0) return new Set();
      const members = await redis.smismember(keys.incidentAlertKeys(incidentId), ...alertKeys);
      return new Set(alertKeys.filter((_, i) => members[i] === 1));
    },

    async listIncidents(filter) {
      const limit = Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT);
      if (limit <= 0) return [];
      // Walk the narrowest index, newest first, and filter on the records themselves (the phase rule is core's).
      const index =
        filter.model !== undefined
          ? keys.modelIncidents(filter.model)
          : filter.open === true
            ? keys.openIncidents
            : keys.allIncidents;
      const matches = (incident: Incident): boolean =>
        (filter.open === undefined || isOpen(incident) === filter.open) &&
        (filter.model === undefined || incident.model === filter.model);
      const page = Math.max(limit, 50);
      const found: Incident[] = [];
      // Indexes can shift while we page (new incidents arrive on top); skip ids already seen.
      const seen = new Set<string>();
      for (let start = 0; found.length < limit; start += page) {
        const ids = await redis.zrevrange(index, start, start + page - 1);
        for (const incident of await loadIncidents(ids.filter((id) => !seen.has(id)))) {
          seen.add(incident.id);
          if (matches(incident) && found.length < limit) found.push(incident);
        }
        if (ids.length < page) break;
      }
      return found;
    },
  };
}

/** An incident as stored. The hash's version field is authoritative over the copy inside the JSON. */
function parseIncident(json: string, version: number): Incident {
  return { ...(JSON.parse(json) as Incident), version };
}

function decodeIncident(
  version: string | null | undefined,
  json: string | null | undefined,
): Incident | undefined {
  if (version == null || json == null) return undefined;
  return parseIncident(json, integerReply(Number(version), 'incident version'));
}
