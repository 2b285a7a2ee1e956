import { createHash } from 'node:crypto';

/**
 * Fingerprints rollbot gives alerts that came without one: the first 16 hex digits of the SHA-256 of a JSON array
 * of their parts, labels sorted by name. JSON encoding keeps the parts apart, so that no choice of values can make
 * two different alerts hash alike; code-unit order, not localeCompare, so that the hash does not depend on the
 * host's locale.
 */
export function hashFingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The labels as `[name, value]` pairs sorted by name (code-unit order), for {@link hashFingerprint}. */
export function sortedLabels(labels: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The fingerprint of an Alertmanager or Grafana alert sent without one (an older Alertmanager, a relay
 * that drops the field): like theirs, of the label set alone, so that every re-send of the alert and its resolution
 * carry the same one.
 */
export function labelFingerprint(labels: Readonly<Record<string, string>>): string {
  return hashFingerprint([sortedLabels(labels)]);
}
