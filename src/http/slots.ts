/**
 * At most `limit` pieces of work run at once, weighing together at most `budget` (one heavier than the whole budget
 * runs when nothing else does); the rest wait in arrival order, so that a heavy one is not passed over for ever by
 * lighter ones. A finishing one hands its place straight to those next in line that now fit, so the count never
 * drops and rises again between them.
 */
export class Slots {
  private running = 0;
  private weight = 0;
  private readonly waiting: { weight: number; start: () => void }[] = [];

  constructor(
    private readonly limit: number,
    private readonly budget = Number.POSITIVE_INFINITY,
  ) {}

  async run<T>(work: () => Promise<T>, weight = 0): Promise<T> {
    if (this.waiting.length === 0 && this.fits(weight)) this.take(weight);
    else await new Promise<void>((start) => this.waiting.push({ weight, start }));
    try {
      return await work();
    } finally {
      this.running -= 1;
      this.weight -= weight;
      for (let next = this.waiting[0]; next && this.fits(next.weight); next = this.waiting[0]) {
        this.waiting.shift();
        this.take(next.weight);
        next.start();
      }
    }
  }

  private fits(weight: number): boolean {
    return this.running < this.limit && (this.running === 0 || this.weight + weight <= this.budget);
  }

  private take(weight: number): void {
    this.running += 1;
    this.weight += weight;
  }
}
