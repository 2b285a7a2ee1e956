import { describe, expect, it } from 'vitest';
import { Slots } from '../../../src/http/slots.js';

/** A piece of work that runs until the test finishes it, recording when it started. */
function gate(started: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  const work = () => {
    started.push(name);
    return done;
  };
  return { work, finish: () => finish(), fail: (error: Error) => fail(error) };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Slots', () => {
  it('runs at most `limit` works at once and starts the waiting ones in arrival order', async () => {
    const slots = new Slots(2);
    const started: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => gate(started, name));
    const results = [a, b, c, d].map((g) => slots.run(g!.work));
    await settle();
    expect(started).toEqual(['a', 'b']);

    b!.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);

    a!.finish();
    c!.finish();
    d!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('frees the slot of a work that throws and hands the error to its caller', async () => {
    const slots = new Slots(1);
    const started: string[] = [];
    const failing = gate(started, 'failing');
    const next = gate(started, 'next');
    const failed = slots.run(failing.work);
    const after = slots.run(next.work);
    await settle();
    expect(started).toEqual(['failing']);

    failing.fail(new Error('redis went away'));
    await expect(failed).rejects.toThrow('redis went away');
    await settle();
    expect(started).toEqual(['failing', 'next']);
    next.finish();
    expect(await after).toBe('next');
  });

  it('starts new work at once after every earlier work has finished', async () => {
    const slots = new Slots(1);
    expect(await slots.run(async () => 1)).toBe(1);
    const started: string[] = [];
    const later = gate(started, 'later');
    const result = slots.run(later.work);
    await settle();
    expect(started).toEqual(['later']);
    later.finish();
    expect(await result).toBe('later');
  });

  it('runs work together only while its weights fit the budget, in arrival order', async () => {
    const slots = new Slots(16, 100);
    const started: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => gate(started, name));
    const results = [
      slots.run(a!.work, 60),
      slots.run(b!.work, 40),
      slots.run(c!.work, 50),
      slots.run(d!.work, 10),
    ];
    await settle();
    expect(started).toEqual(['a', 'b']);

    // c does not fit beside a; d would, but waits behind c: arrival order, so a heavy one is not starved.
    b!.finish();
    await settle();
    expect(started).toEqual(['a', 'b']);

    a!.finish();
    await settle();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    c!.finish();
    d!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('runs a work heavier than the whole budget alone, and nothing beside it', async () => {
    const slots = new Slots(16, 100);
    const started: string[] = [];
    const [heavy, light] = ['heavy', 'light'].map((name) => gate(started, name));
    const results = [slots.run(heavy!.work, 250), slots.run(light!.work, 1)];
    await settle();
    expect(started).toEqual(['heavy']);
    heavy!.finish();
    await settle();
    expect(started).toEqual(['heavy', 'light']);
    light!.finish();
    expect(await Promise.all(results)).toEqual(['heavy', 'light']);
  });

  it('still runs at most `limit` light works at once within the budget', async () => {
    const slots = new Slots(2, 100);
    const started: string[] = [];
    const gates = ['a', 'b', 'c'].map((name) => gate(started, name));
    const results = gates.map((g) => slots.run(g.work, 1));
    await settle();
    expect(started).toEqual(['a', 'b']);
    gates.forEach((g) => g.finish());
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
  });
});
