import { describe, expect, it } from 'vitest';
import { metricsNow } from '../../../src/engine/metrics-clock.js';
import type { MetricsSource } from '../../../src/engine/metrics-port.js';
import { makeDeps } from '../../helpers/engine.js';

const OURS = 1_800_000_000_000;

/** A source whose clock answers `now`, and the warnings logged while asking it. */
function asking(now: MetricsSource['now']) {
  const said: { fields: object; message: string }[] = [];
  const logger = {
    ...makeDeps().logger,
    warn: (fields: object, message?: string) => void said.push({ fields, message: message ?? '' }),
  };
  const source: MetricsSource = {
    query: () => Promise.reject(new Error('not asked')),
    range: () => Promise.reject(new Error('not asked')),
    ...(now ? { now } : {}),
  };
  return { ask: () => metricsNow({ logger }, source, OURS), said };
}

describe("Prometheus' now", () => {
  it('is what the source says, without a word when the clocks are less than a minute apart', async () => {
    const { ask, said } = asking(async () => OURS - 59_999);
    await expect(ask()).resolves.toBe(OURS - 59_999);
    expect(said).toEqual([]);
  });

  it('is what the source says, with a warning naming the difference when it is a minute or more', async () => {
    const behind = asking(async () => OURS - 600_000);
    await expect(behind.ask()).resolves.toBe(OURS - 600_000);
    expect(behind.said).toEqual([
      {
        fields: { aheadMs: 600_000 },
        message: expect.stringMatching(/^rollbot's clock is 600 s ahead of Prometheus': .*run NTP/),
      },
    ]);
    const ahead = asking(async () => OURS + 60_000);
    await expect(ahead.ask()).resolves.toBe(OURS + 60_000);
    expect(ahead.said[0]?.message).toMatch(/^rollbot's clock is 60 s behind Prometheus'/);
  });

  it("is rollbot's when the source cannot say, with a warning", async () => {
    const { ask, said } = asking(() => Promise.reject(new Error('connect ECONNREFUSED')));
    await expect(ask()).resolves.toBe(OURS);
    expect(said.map((line) => line.message)).toEqual([
      "cannot read Prometheus' clock: rollbot's stands in for it, as if the two agreed",
    ]);
  });

  it("is rollbot's for a source without a clock of its own, or one that answers no time", async () => {
    await expect(asking(undefined).ask()).resolves.toBe(OURS);
    await expect(asking(async () => NaN).ask()).resolves.toBe(OURS);
  });
});
