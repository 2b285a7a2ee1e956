import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import type { InstantAnswer, MetricsSource, RangeAnswer } from '../engine/metrics-port.js';
import type { Check, Runbook } from '../runbooks/schema.js';
import type { SimulationReport } from './simulation-report.js';
import type { TrafficSplit } from './simulated-serving.js';

/** What a query measures: one of the check kinds, or the request rate of the impact estimate. */
export type Signal = Check['kind'] | 'requests';

/** How one model version behaves: the value of each signal while it takes all the traffic. */
export type VersionHealth = Record<Signal, number>;

export interface SimulatedMetricsOptions {
  now: () => number;
  /** Who served how much traffic when: the simulated serving layer's history. */
  traffic: (at: number) => TrafficSplit;
  health: Readonly<Record<string, VersionHealth>>;
  /** The runbook's queries and what each measures (see `signalsOf`). */
  signals: ReadonlyMap<string, { signal: Signal; name: string }>;
  /** Like PromQL's `rate(…[1m])`: a value reflects the traffic of the last window, so changes show gradually. */
  rateWindowMs: number;
  report: SimulationReport;
}

/** Points averaged across the rate window: plenty for a smooth ramp. */
const WINDOW_POINTS = 20;

/** The runbook's queries, each mapped to what it measures (by check kind), so no PromQL needs parsing. */
export function signalsOf(runbook: Runbook): Map<string, { signal: Signal; name: string }> {
  const signals = new Map<string, { signal: Signal; name: string }>();
  for (const check of [...runbook.triage.checks, ...runbook.confirm.checks])
    signals.set(check.query, { signal: check.kind, name: check.name });
  if (runbook.impact) signals.set(runbook.impact.requestRate, { signal: 'requests', name: 'request rate' });
  return signals;
}

/** A value as people read it: ratios in percent, latency in milliseconds. */
export function formatSignal(signal: Signal, value: number): string {
  if (signal === 'latency') return `${Math.round(value * 1000)}ms`;
  if (signal === 'requests') return `${Math.round(value)} req/s`;
  return `${(value * 100).toFixed(2)}%`;
}

/**
 * SIMULATION — a metrics source for `npm run demo`, standing in for Prometheus. Every value is derived from
 * the simulated serving layer's traffic history: the traffic-weighted health of the versions, averaged over a
 * rate window, with a little deterministic noise. So the bad version's errors show up when it takes traffic and
 * fade after the rollback, and a query at any past time (the baseline at v2's deployment) has an answer.
 */
export class SimulatedMetrics implements MetricsSource {
  constructor(private readonly options: SimulatedMetricsOptions) {}

  /** The value of `signal` at `at`, as a rate over the window that ends there. */
  valueAt(signal: Signal, at: number): number {
    const { rateWindowMs } = this.options;
    let sum = 0;
    for (let i = 0; i < WINDOW_POINTS; i++) {
      sum += this.instantaneous(signal, at - rateWindowMs + (rateWindowMs * (i + 0.5)) / WINDOW_POINTS);
    }
    // Real series wobble; ±2 % keeps the sparklines honest without blurring the 10 % confirm tolerance.
    const noise = 1 + 0.02 * Math.sin(at / 1_700) * Math.cos(at / 2_900);
    return (sum / WINDOW_POINTS) * noise;
  }

  async query(promql: string, at: number = this.options.now()): Promise<InstantAnswer> {
    const { signal, name } = this.signalOf(promql);
    const value = this.valueAt(signal, at);
    const ago = this.options.now() - at;
    const when = ago >= 1_000 ? ` (at ${formatDuration(ago)} ago)` : '';
    this.options.report({
      call: 'query',
      text: `instant query ${name}${when} = ${formatSignal(signal, value)}`,
    });
    return { samples: [{ labels: {}, value }], warnings: [] };
  }

  async range(promql: string, start: number, end: number, stepMs: number): Promise<RangeAnswer> {
    const { signal, name } = this.signalOf(promql);
    const points: { at: number; value: number }[] = [];
    for (let at = start; at <= end; at += stepMs) points.push({ at, value: this.valueAt(signal, at) });
    const first = points[0];
    const last = points.at(-1);
    const span =
      first && last ? `: ${formatSignal(signal, first.value)} → ${formatSignal(signal, last.value)}` : '';
    this.options.report({
      call: 'range',
      text: `range query ${name}, ${points.length} points over ${formatDuration(end - start)}${span}`,
    });
    return { series: [{ labels: {}, points }], warnings: [] };
  }

  private signalOf(promql: string): { signal: Signal; name: string } {
    const known = this.options.signals.get(promql);
    if (known) return known;
    throw new RollbotError('BAD_REQUEST', `the simulated metrics source does not know the query ${promql}`, {
      hint: 'the demo answers only the queries of its own runbook (src/demo/runbooks/)',
    });
  }

  /** The traffic-weighted health at one instant. */
  private instantaneous(signal: Signal, at: number): number {
    let value = 0;
    for (const [version, share] of Object.entries(this.options.traffic(at))) {
      value += share * (this.options.health[version]?.[signal] ?? 0);
    }
    return value;
  }
}
