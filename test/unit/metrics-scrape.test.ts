/**
 * The store-backed gauges (drills, retrospectives, overdue deadlines) are read at scrape time. A scrape must still answer while the
 * store (Redis) fails or does not answer: otherwise every rollbot metric, counters included, vanishes for the
 * length of the outage, and `up == 0` says rollbot itself is down.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, type MetricsState } from '../../src/observability/metrics.js';

const DRILL_AT = Date.UTC(2026, 9, 15, 10);

/** Store-backed state that answers until `down`, then fails as a Redis client does, or never answers. */
function storeState() {
  const state = { mode: 'up' as 'up' | 'failing' | 'silent', errors: [] as unknown[] };
  const answer = <T>(value: T): Promise<T> => {
    if (state.mode === 'failing') return Promise.reject(new Error('Connection is closed.'));
    if (state.mode === 'silent') return new Promise<T>(() => {});
    return Promise.resolve(value);
  };
  const reads: MetricsState = {
    drillLastSuccess: () => answer({ 'fraud-scorer': DRILL_AT }),
    retroCounts: () => answer([{ model: 'fraud-scorer', open: 2, overdue: 1 }]),
    deadlinesOverdue: () => answer(3),
  };
  return { state, reads };
}

describe('a scrape while the store is down', () => {
  it('still answers with the counters, and the gauges keep the values last read', async () => {
    const { state, reads } = storeState();
    const metrics = createMetrics(new Registry(), {
      state: reads,
      onStateError: (error) => state.errors.push(error),
    });
    metrics.alertReceived('alertmanager', 'opened');
    await metrics.registry.metrics();

    state.mode = 'failing';
    const text = await metrics.registry.metrics();
    expect(text).toContain('rollbot_alerts_received_total{source="alertmanager",status="opened"} 1');
    expect(text).toContain('rollbot_retros_open{model="fraud-scorer"} 2');
    expect(text).toContain('rollbot_retros_overdue{model="fraud-scorer"} 1');
    expect(text).toContain('rollbot_deadlines_overdue 3');
    expect(text).toContain(
      `rollbot_drill_last_success_timestamp_seconds{model="fraud-scorer"} ${DRILL_AT / 1000}`,
    );
    expect(state.errors.length).toBeGreaterThan(0);
  });

  it('does not wait for a store that does not answer', async () => {
    const { state, reads } = storeState();
    const metrics = createMetrics(new Registry(), { state: reads, stateTimeoutMs: 10 });
    metrics.alertRejected('unauthorized');
    state.mode = 'silent';
    expect(await metrics.registry.metrics()).toContain(
      'rollbot_alerts_rejected_total{reason="unauthorized"} 1',
    );
  });
});
