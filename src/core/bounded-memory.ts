/**
 * Sets `key` as the newest entry of `map`, forgetting the oldest beyond `bound`: what a long-running process
 * remembers per incident or page (a message's ref, a resolved page) must not grow for as long as it runs, and what
 * it forgets is only read again from the store or sent again idempotently.
 */
export function rememberNewest<K, V>(map: Map<K, V>, key: K, value: V, bound: number): void {
  map.delete(key);
  map.set(key, value);
  const oldest = map.keys().next();
  if (map.size > bound && !oldest.done) map.delete(oldest.value);
}
