/**
 * JSON for stored incidents that keeps every number. JSON.stringify writes Infinity, -Infinity and NaN as null,
 * and Prometheus answers "+Inf" where a measurement is real (histogram_quantile past its last bucket: latency
 * beyond what the histogram can tell; a division by zero): read back, a +Inf p99 would show as "-Inf" and a
 * baseline of +Inf as "unknown", on every replica but the one that measured it. Such a number is written as
 * `{"$number": "Infinity"}` instead, and read back as the number.
 */

/** The key of the stand-in object; `$` keeps it out of what a record holds (Prometheus label names cannot have it). */
const NUMBER_KEY = '$number';
const NOT_FINITE = new Set(['Infinity', '-Infinity', 'NaN']);

/** `value` as stored JSON, its non-finite numbers kept (see above); undefined fields are left out, as by JSON.stringify. */
export function toRecordJson(value: unknown): string {
  const plain = JSON.stringify(value);
  // JSON.stringify writes such a number as null, so a record without any null holds none: written as it is, since
  // a replacer doubles the cost of every incident write (each alert joining one makes one).
  if (!plain.includes('null')) return plain;
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'number' && !Number.isFinite(item) ? { [NUMBER_KEY]: String(item) } : item,
  );
}

/** Stored JSON back as the value it was written from. */
export function fromRecordJson<T>(json: string): T {
  // Almost no record holds such a number: those that do not are parsed without a reviver, which costs more.
  if (!json.includes(`"${NUMBER_KEY}"`)) return JSON.parse(json) as T;
  return JSON.parse(json, (_key, item: unknown) => (isStandIn(item) ? Number(item[NUMBER_KEY]) : item)) as T;
}

function isStandIn(item: unknown): item is Record<typeof NUMBER_KEY, string> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
  const keys = Object.keys(item);
  const text = (item as Record<string, unknown>)[NUMBER_KEY];
  return keys.length === 1 && typeof text === 'string' && NOT_FINITE.has(text);
}
