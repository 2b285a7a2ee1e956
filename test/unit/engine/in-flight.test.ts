import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../src/engine/in-flight.js';

describe('InFlight', () => {
  it('settles once tracked work has ended, failed work included, and hands the work back unchanged', async () => {
    const inFlight = new InFlight();
    const done = inFlight.track(Promise.resolve('rolled back'));
    const failed = inFlight.track(Promise.reject(new Error('403')));
    await expect(done).resolves.toBe('rolled back');
    await expect(failed).rejects.toThrow('403');
    expect(await inFlight.settled(60_000)).toBe(0);
  });

  it('gives up at its deadline and says how much was still running', async () => {
    const inFlight = new InFlight();
    void inFlight.track(new Promise(() => {}));
    void inFlight.track(Promise.resolve());
    expect(await inFlight.settled(10)).toBe(1);
  });
});
