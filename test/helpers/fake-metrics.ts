import { RollbotError } from '../../src/core/errors.js';
import type { InstantAnswer, MetricsSource, RangeAnswer, Series } from '../../src/engine/metrics-port.js';

/** A value per query as a function of time (epoch ms); an array is several series; undefined is no series. */
export type Signal = (at: number) => number | number[] | undefined;
/** What the source warns about a query's answer, as a function of its time (a range query: its end). */
export type Warnings = (at: number) => readonly string[];

/**
 * Prometheus in memory: each query answers from a signal the test sets; `down` makes every query fail; `warn`
 * makes a query's answers carry warnings, as Prometheus' do when a remote-read or federated store failed.
 */
export class FakeMetrics implements MetricsSource {
  private readonly signals = new Map<string, Signal>();
  private readonly warnings = new Map<string, Warnings>();
  down = false;
  queries: string[] = [];

  set(query: string, signal: Signal | number): this {
    this.signals.set(query, typeof signal === 'number' ? () => signal : signal);
    return this;
  }

  warn(query: string, warnings: Warnings | readonly string[]): this {
    this.warnings.set(query, typeof warnings === 'function' ? warnings : () => warnings);
    return this;
  }

  private values(promql: string, at: number): number[] {
    if (this.down)
      throw new RollbotError('UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:9090', {
        hint: 'check PROMETHEUS_URL',
      });
    this.queries.push(promql);
    const value = this.signals.get(promql)?.(at);
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  }

  private warningsOf(promql: string, at: number): string[] {
    return [...(this.warnings.get(promql)?.(at) ?? [])];
  }

  async query(promql: string, at = 0): Promise<InstantAnswer> {
    const samples = this.values(promql, at).map((value, i) => ({ labels: { series: String(i) }, value }));
    return { samples, warnings: this.warningsOf(promql, at) };
  }

  async range(promql: string, start: number, end: number, stepMs: number): Promise<RangeAnswer> {
    const series: Series[] = [];
    for (let at = start; at <= end; at += stepMs) {
      this.values(promql, at).forEach((value, i) => {
        series[i] ??= { labels: { series: String(i) }, points: [] };
        series[i].points.push({ at, value });
      });
    }
    return { series, warnings: this.warningsOf(promql, end) };
  }
}
