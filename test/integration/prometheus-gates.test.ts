import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/incident.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { pollDeadlines } from '../../src/engine/poller.js';
import { createPrometheusSource } from '../../src/metrics-source/prometheus.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { firing } from '../helpers/alerts.js';
import { eventually } from '../helpers/bot-process.js';
import { makeDeps, makeRunbook, RealClock, type TestDeps } from '../helpers/engine.js';
import {
  startExporter,
  startPrometheus,
  type Exporter,
  type PrometheusProcess,
} from '../helpers/prometheus-server.js';

const ERRORS = 'model_error_ratio{model="ranker"}';
const RUNBOOK = `triage:
  checks:
    - { name: error rate, kind: error, query: 'max(${ERRORS})', max: 0.02 }
  interval: 1s
  samples: 3
  trend: 10s
confirm: { interval: 1s, initialDelay: 1s, consecutive: 3 }
targets: { rollback: 30s, confirm: 60s }`;

let prometheus: PrometheusProcess;
let exporter: Exporter;

beforeAll(async () => {
  exporter = await startExporter();
  exporter.set(ERRORS, 0.001);
  prometheus = await startPrometheus({ targets: [exporter.address] });
  // Wait until a few scrapes are in, so that range queries have points.
  const source = createPrometheusSource({ url: prometheus.url });
  await eventually(
    async () =>
      ((await source.query(`count_over_time(${ERRORS}[1m])`)).samples[0]?.value ?? 0) >= 3 || undefined,
    20_000,
    'scrapes',
  );
}, 40_000);
afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
});

/** Engine deps on real time and the real Prometheus; the fake serving layer "moves traffic" by fixing the exporter. */
function realDeps(): TestDeps {
  const clock = new RealClock();
  const deps = makeDeps({
    runbooks: [makeRunbook('ranker', RUNBOOK)],
    metricsSource: createPrometheusSource({ url: prometheus.url, timeoutMs: 2_000 }),
    clock,
    store: createMemoryStore({ clock }),
  });
  return {
    ...deps,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    timing: { pollMs: 200, retryBaseMs: 100, lockTtlMs: 10_000, arrivalWaitMs: 20_000 },
  };
}

/** Runs the deadline poller (as the bot would) until `done` says so. */
async function runUntil(
  deps: TestDeps,
  done: (incident: Incident) => boolean,
  what: string,
): Promise<Incident> {
  return eventually(
    async () => {
      await pollDeadlines(deps);
      const incident = await deps.store.getIncident('INC-1');
      return incident && done(incident) ? incident : undefined;
    },
    30_000,
    what,
  );
}

describe('triage and confirmation against a real Prometheus', () => {
  it('raises the error rate → triage FAIL → automatic rollback → error rate down → confirmed after 3 passes → resolved', async () => {
    const deps = realDeps();
    exporter.set(ERRORS, 0.08);
    // Three scrapes at the raised value, so that 3 of 3 triage measurements see it.
    await eventually(
      async () =>
        ((await deps.metricsSource!.query(`min_over_time(max(${ERRORS})[3s:1s])`)).samples[0]?.value ?? 0) >
          0.02 || undefined,
      15_000,
      'a sustained breach',
    );
    deps.fake.duringExecute = async () => exporter.set(ERRORS, 0.002);

    await ingestAlerts(deps, [firing('ranker', Date.now())]);
    const triaged = await runUntil(deps, (incident) => incident.triage !== undefined, 'triage');
    expect(triaged.triage?.finding).toBe('breach');
    const check = triaged.triage!.checks[0]!;
    expect(check).toMatchObject({
      name: 'error rate',
      verdict: 'FAIL',
      value: 0.08,
      outcomes: ['fail', 'fail', 'fail'],
    });
    expect(check.trend?.sparkline.length).toBeGreaterThan(3);
    expect(check.trend?.direction).toBe('rising');

    const resolved = await runUntil(deps, (incident) => incident.phase === 'resolved', 'resolution');
    expect(deps.fake.mutations).toBe(1);
    expect(resolved.decision).toMatchObject({ kind: 'rollback', by: 'rollbot', trigger: 'auto' });
    expect(resolved.confirmation?.verdict).toBe('PASS');
    expect(resolved.confirmation?.outcomes.slice(-3)).toEqual(['pass', 'pass', 'pass']);
    expect(resolved.confirmation?.last?.checks[0]?.value).toBe(0.002);
    const types = (await deps.store.list('INC-1')).map((entry) => entry.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'triage.result',
        'rollback.started',
        'rollback.succeeded',
        'confirm.started',
        'confirm.poll',
        'incident.resolved',
      ]),
    );
  }, 60_000);

  it('asks a person and does not roll back when Prometheus is down during triage', async () => {
    const deps = realDeps();
    exporter.set(ERRORS, 0.08);
    await prometheus.stop();
    await ingestAlerts(deps, [firing('ranker', Date.now())]);
    const triaged = await runUntil(deps, (incident) => incident.triage !== undefined, 'triage');
    expect(triaged.triage?.finding).toBe('unavailable');
    expect(triaged.phase).toBe('triage');
    expect(deps.fake.calls).toEqual([]);
    const [request] = deps.notifier.ofType('decision.requested');
    // What went wrong and what to do about it, as Prometheus errors say everywhere else.
    expect(request?.text).toMatch(
      /^Prometheus could not be asked \(error rate: cannot reach .*ECONNREFUSED.* \(check PROMETHEUS_URL and that Prometheus is reachable from rollbot\)\): a person decides$/,
    );
  }, 30_000);
});
