import { RollbotError } from '../../src/core/errors.js';
import type { InstantAnswer, MetricsSource, RangeAnswer, Series } from '../../src/engine/metrics-port.js';
import { transportError } from '../../src/metrics-source/errors.js';

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
  /**
   * Prometheus' own clock: the time of an instant query sent without one ("now"), and what `now()` answers.
   * makeDeps sets the test's clock; a test of clock skew sets another. Without one, such a query is at 0
   * (constant signals only) and `now()` fails, as a source that cannot say its time.
   */
  clock: { now(): number } | undefined;
  /** How many times `now()` was asked: once per triage run. */
  clockReads = 0;
  /**
   * Set: instant queries hang, as on a Prometheus that takes connections and never answers, each until the test's
   * clock (`now`) has moved `timeoutMs` past its start and `expire` fails it as the Prometheus source's own
   * timeout does. Range queries and `now()` (triage) still answer.
   */
  hang: { now: () => number; timeoutMs: number } | undefined;
  /** The instant queries hanging now, oldest first. */
  readonly hanging: { promql: string; since: number; fail: (error: RollbotError) => void }[] = [];

  set(query: string, signal: Signal | number): this {
    this.signals.set(query, typeof signal === 'number' ? () => signal : signal);
    return this;
  }

  warn(query: string, warnings: Warnings | readonly string[]): this {
    this.warnings.set(query, typeof warnings === 'function' ? warnings : () => warnings);
    return this;
  }

  private refuseWhenDown(): void {
    if (this.down)
      throw new RollbotError('UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:9090', {
        hint: 'check PROMETHEUS_URL',
      });
  }

  private values(promql: string, at: number): number[] {
    this.refuseWhenDown();
    this.queries.push(promql);
    const value = this.signals.get(promql)?.(at);
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  }

  private warningsOf(promql: string, at: number): string[] {
    return [...(this.warnings.get(promql)?.(at) ?? [])];
  }

  /** Fails, with the source's timeout error, every hanging query whose timeout the clock has reached. */
  expire(): void {
    if (!this.hang) return;
    const { now, timeoutMs } = this.hang;
    for (const query of this.hanging.filter((q) => now() - q.since >= timeoutMs)) {
      this.hanging.splice(this.hanging.indexOf(query), 1);
      query.fail(
        transportError(query.promql, new Error('This operation was aborted'), {
          host: 'prometheus:9090',
          timeoutMs,
          timedOut: true,
        }),
      );
    }
  }

  async now(): Promise<number> {
    this.clockReads += 1;
    this.refuseWhenDown();
    if (!this.clock) throw new Error('FakeMetrics has no clock: set one (makeDeps does)');
    return this.clock.now();
  }

  async query(promql: string, at = this.clock?.now() ?? 0): Promise<InstantAnswer> {
    if (this.hang) {
      const since = this.hang.now();
      this.queries.push(promql);
      return new Promise((_, reject) => this.hanging.push({ promql, since, fail: reject }));
    }
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
