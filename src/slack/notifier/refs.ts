/** Where an incident's message lives; stored as JSON under `messageKey(incidentId)`. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** The store value key of an incident's message ref: durable, so another replica or a restart finds it. */
export function messageKey(incidentId: string): string {
  return `slack:message:${incidentId}`;
}

/** Remembered per incident in this process; bounded so that a long-running bot does not grow. */
const REMEMBERED_INCIDENTS = 1000;

/** Sets `key` as the newest entry, forgetting the oldest beyond the bound. */
export function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  const oldest = map.keys().next();
  if (map.size > REMEMBERED_INCIDENTS && !oldest.done) map.delete(oldest.value);
}

/** The ref stored under messageKey(), or undefined when absent or not a ref. */
export function parseRef(raw: string | undefined): MessageRef | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return undefined;
    const { channel, ts } = value as Record<string, unknown>;
    return typeof channel === 'string' && typeof ts === 'string' ? { channel, ts } : undefined;
  } catch {
    return undefined;
  }
}
