import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../src/engine/in-flight.js';

describe('InFlight', () => {
  it('settles once tracked work has ended, failed work included, and hands the work back unchanged', async () => {
    const inFlight = new InFlight();
    const done = inFlight.track(Promise.resolve('rolled back'));
    const failed = inFlight.track(Promise.reject(new Error('403')));
    await expect(done).resolves.toBe('rolled back');
    await expect(failed).rejects.toThrow('403');
    expect(await inFlight.settled(60_000)).toEqual({});
  });

  it('gives up at its deadline and says how much of each kind was still running', async () => {
    const inFlight = new InFlight();
    void inFlight.track(new Promise(() => {}));
    void inFlight.track(new Promise(() => {}), 'pin');
    void inFlight.track(new Promise(() => {}), 'pin');
    void inFlight.track(Promise.resolve(), 'pin');
    expect(await inFlight.settled(10)).toEqual({ rollback: 1, pin: 2 });
  });
});
