/**
 * Work a shutdown must let finish: a rollback started from Slack runs after its request was answered, so
 * closing the HTTP server does not wait for it, and closing the store under it would leave its incident
 * "outcome unknown" for the next start to settle; a 📌 capture waiting out a store failure (engine/pinned.ts),
 * which nothing brings back once its process is gone.
 */
export type InFlightKind = 'rollback' | 'pin';

export class InFlight {
  private readonly running = new Map<Promise<unknown>, InFlightKind>();

  /** Tracks `work` until it settles; returns it unchanged. */
  track<T>(work: Promise<T>, kind: InFlightKind = 'rollback'): Promise<T> {
    this.running.set(work, kind);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  /**
   * Resolves once everything tracked has settled or `deadlineMs` passed, with how many of each kind were still
   * running then (none: an empty record).
   */
  async settled(deadlineMs: number): Promise<Partial<Record<InFlightKind, number>>> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.allSettled([...this.running.keys()]), deadline]);
    clearTimeout(timer);
    const left: Partial<Record<InFlightKind, number>> = {};
    for (const kind of this.running.values()) left[kind] = (left[kind] ?? 0) + 1;
    return left;
  }
}
