/**
 * Work a shutdown must let finish: a rollback started from Slack runs after its request was answered, so
 * closing the HTTP server does not wait for it, and closing the store under it would leave its incident
 * "outcome unknown" for the next start to settle.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Tracks `work` until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Resolves once everything tracked has settled or `deadlineMs` passed; returns how many were still running. */
  async settled(deadlineMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.allSettled([...this.running]), deadline]);
    clearTimeout(timer);
    return this.running.size;
  }
}
