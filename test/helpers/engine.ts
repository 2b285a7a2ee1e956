import { Registry } from 'prom-client';
import type { EngineDeps } from '../../src/engine/context.js';
import { createGroupResolver, type GroupResolver } from '../../src/engine/group-membership.js';
import type { MetricsSource } from '../../src/engine/metrics-port.js';
import type { Arrival, DeliveredEvent, Notifier, NotifierEvent } from '../../src/engine/notifier-port.js';
import { InFlight } from '../../src/engine/in-flight.js';
import type { RollbackRequest } from '../../src/engine/rollback-types.js';
import { RunbookSet } from '../../src/engine/runbook-set.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import type { Runbook } from '../../src/runbooks/schema.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { FakeMetrics } from './fake-metrics.js';
import { FakeServing } from './fake-serving.js';

/** The rollback of fraud-scorer most tests ask for: the on-call engineer, from Slack, after v42 broke it. */
export const ONCALL_ROLLBACK: RollbackRequest = {
  model: 'fraud-scorer',
  reason: 'errors after v42',
  by: 'U0ONCALL',
  trigger: 'slack',
};

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public current = Date.parse('2026-11-22T02:00:00Z')) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/** Real time, for tests against real processes (Prometheus): `advance` is not available. */
export class RealClock extends TestClock {
  override now(): number {
    return Date.now();
  }
  override advance(): void {
    throw new Error('RealClock cannot be moved: it is the system clock');
  }
}

/** A notifier that keeps what it was told. */
export class RecordingNotifier implements Notifier {
  readonly events: NotifierEvent[] = [];
  /** The events handed to deliver(), which waits for them to arrive (also in `events`). */
  readonly delivered: NotifierEvent[] = [];
  /** What deliver() answers once it has recorded the event: delivered, unless a test says otherwise. */
  arrival: (event: DeliveredEvent) => Promise<boolean> = async () => true;
  async notify(event: NotifierEvent): Promise<void> {
    this.events.push(event);
  }
  async deliver(event: DeliveredEvent): Promise<Arrival> {
    this.events.push(event);
    this.delivered.push(event);
    return { arrived: await this.arrival(event) };
  }
  ofType<T extends NotifierEvent['type']>(type: T): Extract<NotifierEvent, { type: T }>[] {
    return this.events.filter((event): event is Extract<NotifierEvent, { type: T }> => event.type === type);
  }
}

/** A valid tier-1 runbook for `model`, with YAML overrides appended (later keys win in our tests' YAML). */
export function runbookYaml(model: string, extra = ''): string {
  return `model: ${model}
owner: "@ml"
channel: C0TEST0001
tier: 1
serving: { adapter: kserve, namespace: ml-prod, name: ${model} }
escalation: { mention: [S0PLATFORM] }
${extra}`;
}

export function makeRunbook(model: string, extra = ''): Runbook {
  const result = parseRunbook(runbookYaml(model, extra), `${model}.yml`);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.runbook;
}

export interface TestDeps extends EngineDeps {
  clock: TestClock;
  notifier: RecordingNotifier;
  metrics: Metrics;
  /** The serving layer every runbook of these deps rolls back on. */
  fake: FakeServing;
}

/**
 * Engine dependencies on the real clock, sleeping for real, with one runbook for `model`: for flows driven over
 * real HTTP (signed Slack requests), where a hand-moved clock would never move.
 */
export function realTimeDeps(model: string, runbookYaml: string): TestDeps {
  return sleepingForReal(makeDeps({ clock: new RealClock(), runbooks: [makeRunbook(model, runbookYaml)] }));
}

/** `deps` (on a RealClock, which a sleep cannot move) sleeping for real: see realTimeDeps. */
export function sleepingForReal<T extends TestDeps>(deps: T): T {
  return { ...deps, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
}

/**
 * Engine dependencies on the memory store, a hand-moved clock (sleeping moves it), a recording notifier and
 * one fake serving layer.
 */
export function makeDeps(
  options: {
    runbooks?: Runbook[];
    clock?: TestClock;
    store?: EngineDeps['store'];
    fake?: FakeServing;
    metricsSource?: MetricsSource;
  } = {},
): TestDeps {
  const clock = options.clock ?? new TestClock();
  const fake = options.fake ?? new FakeServing();
  // Prometheus' clock agrees with rollbot's unless a test says otherwise.
  if (options.metricsSource instanceof FakeMetrics) options.metricsSource.clock ??= clock;
  return {
    fake,
    serving: () => fake,
    metricsSource: options.metricsSource,
    sleep: async (ms) => clock.advance(ms),
    timing: { pollMs: 1_000, retryBaseMs: 1_000, lockTtlMs: 60_000, arrivalWaitMs: 20_000 },
    inFlight: new InFlight(),
    clock,
    store: options.store ?? createMemoryStore({ clock }),
    notifier: new RecordingNotifier(),
    metrics: createMetrics(new Registry()),
    logger: createLogger({ level: 'silent' }),
    runbooks: new RunbookSet(
      options.runbooks ?? [makeRunbook('fraud-scorer'), makeRunbook('churn-predictor')],
    ),
  };
}

/** The value of one metric series, 0 when absent. */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((value) => Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted))
    .reduce((sum, value) => sum + value.value, 0);
}

/** CI recorded these versions of `model`, oldest first (at 1, 2, 3, …): the ledger a rollback plans from. */
export async function recordDeployments(
  deps: Pick<EngineDeps, 'store'>,
  model: string,
  versions: readonly string[],
): Promise<void> {
  for (const [index, version] of versions.entries())
    await deps.store.recordDeployment({ model, version, strategy: 'canary', at: index + 1, by: 'api' });
}

/** The user-group resolver of a bot without Slack: only the snapshots in `deps.store` say who is in a group. */
export function snapshotGroups(deps: Pick<EngineDeps, 'store' | 'clock' | 'logger'>): GroupResolver {
  return createGroupResolver({ store: deps.store, clock: deps.clock, logger: deps.logger });
}
