import { RollbotError } from '../../src/core/errors.js';
import type { MetricsSource, Sample, Series } from '../../src/engine/ports.js';

/** A value per query as a function of time (epoch ms); an array is several series; undefined is no series. */
export type Signal = (at: number) => number | number[] | undefined;

/** Prometheus in memory: each query answers from a signal the test sets; `down` makes every query fail. */
export class FakeMetrics implements MetricsSource {
  private readonly signals = new Map<string, Signal>();
  down = false;
  queries: string[] = [];

  set(query: string, signal: Signal | number): this {
    this.signals.set(query, typeof signal === 'number' ? () => signal : signal);
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

  async query(promql: string, at = 0): Promise<Sample[]> {
    return this.values(promql, at).map((value, i) => ({ labels: { series: String(i) }, value }));
  }

  async range(promql: string, start: number, end: number, stepMs: number): Promise<Series[]> {
    const series: Series[] = [];
    for (let at = start; at <= end; at += stepMs) {
      this.values(promql, at).forEach((value, i) => {
        series[i] ??= { labels: { series: String(i) }, points: [] };
        series[i].points.push({ at, value });
      });
    }
    return series;
  }
}
