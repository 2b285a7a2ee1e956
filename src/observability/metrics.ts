import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Severity } from '../core/severity.js';
import type { Stage } from '../core/stages.js';
import type { EngineMetrics } from '../engine/ports.js';

/** Stage durations span seconds (detect) to two days (retro). */
const STAGE_BUCKETS = [
  5, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 21_600, 86_400, 172_800, 345_600,
];

export interface Metrics extends EngineMetrics {
  registry: Registry;
  /** A Slack message given up on (after retries): `kind` post/update/reply, `reason` Slack's error code. */
  slackDeliveryFailed(kind: string, reason: string): void;
  /** How many problems the Slack setup check found at start (slack/setup-check.ts). */
  slackSetupProblems(count: number): void;
}

/** State the gauges read at scrape time (from the store, so that every replica reports the same). */
export interface MetricsState {
  drillLastSuccess(): Promise<Record<string, number>>;
  retroCounts(): Promise<{ model: string; open: number; overdue: number }[]>;
  /** Deadlines due a minute ago or more that no poller holds (engine/deadlines-overdue.ts). */
  deadlinesOverdue(): Promise<number>;
}

/**
 * How long a scrape waits for the store-backed gauges. A Redis client queues commands while it reconnects, for
 * longer than Prometheus' 10 s scrape timeout: a scrape must answer well before that.
 */
export const STATE_READ_TIMEOUT_MS = 2_000;

/** Options of createMetrics. */
export interface MetricsOptions {
  defaultMetrics?: boolean;
  state?: MetricsState;
  /** How long a scrape waits for `state` (default STATE_READ_TIMEOUT_MS). */
  stateTimeoutMs?: number;
  /**
   * Told when `state` failed or did not answer in time (the first time of each outage, not on every scrape); the
   * gauges then keep the values last read.
   */
  onStateError?: (error: unknown) => void;
}

/**
 * The `rollbot_` metrics (DESIGN §3) on a registry passed in — never the global one, so that tests and
 * several bots in one process do not share counters.
 */
export function createMetrics(registry = new Registry(), options: MetricsOptions = {}): Metrics {
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'rollbot_process_' });
  const read = readingState(options);
  const alertsReceived = new Counter({
    name: 'rollbot_alerts_received_total',
    help: 'Alerts received, by source and by what became of them (opened, attached, duplicate, resolved, ignored, unrouted).',
    labelNames: ['source', 'status'] as const,
    registers: [registry],
  });
  const alertsRejected = new Counter({
    name: 'rollbot_alerts_rejected_total',
    help: 'Alert requests refused, by reason (unauthorized, too_large, unsupported_media_type, bad_json, invalid, unavailable).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const incidents = new Counter({
    name: 'rollbot_incidents_total',
    help: 'Incidents opened, by model, severity and whether it was a drill.',
    labelNames: ['model', 'severity', 'drill'] as const,
    registers: [registry],
  });
  const stageDuration = new Histogram({
    name: 'rollbot_stage_duration_seconds',
    help: 'How long each runbook stage took.',
    labelNames: ['stage', 'drill'] as const,
    buckets: STAGE_BUCKETS,
    registers: [registry],
  });
  const breaches = new Counter({
    name: 'rollbot_target_breaches_total',
    help: 'Stage targets missed (each escalated once).',
    labelNames: ['stage', 'model'] as const,
    registers: [registry],
  });
  const rollbacks = new Counter({
    name: 'rollbot_rollbacks_total',
    help: 'Rollbacks finished, by model, outcome (succeeded, failed, unknown) and trigger (auto, slack, cli, api, drill).',
    labelNames: ['model', 'outcome', 'trigger'] as const,
    registers: [registry],
  });
  const rollbackDuration = new Histogram({
    name: 'rollbot_rollback_duration_seconds',
    help: 'From rollback start until the serving layer reported traffic on the target (or gave up).',
    labelNames: ['model'] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1_800],
    registers: [registry],
  });
  const deployments = new Counter({
    name: 'rollbot_deployments_total',
    help: 'Deployments recorded in the ledger, by model.',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const slackFailures = new Counter({
    name: 'rollbot_slack_delivery_failures_total',
    help: 'Slack messages given up on after retries, by kind (post, update, reply) and Slack error code.',
    labelNames: ['kind', 'reason'] as const,
    registers: [registry],
  });
  const pins = new Counter({
    name: 'rollbot_pinned_messages_total',
    help: 'Messages pinned (📌) in Slack, by what became of them (captured, duplicate, closed, outside_incident, unreadable, rollbot_post, store_unavailable).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const deadlineFailures = new Counter({
    name: 'rollbot_deadline_failures_total',
    help: 'Deadline handlers that failed, by kind of deadline (stage-target, retro-reminder, rollback-settle, …): the work each guards has not happened yet. Each is tried again, ever less often while it keeps failing (up to every 15 minutes); the log says why.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const slackSetup = new Gauge({
    name: 'rollbot_slack_setup_problems',
    help: 'Problems the Slack setup check found at start (refused token, missing scope, runbook channel mistyped, archived or uninvited); the log says each, with its fix.',
    registers: [registry],
  });
  const drills = new Counter({
    name: 'rollbot_drills_total',
    help: 'Rollback drills finished, by model and outcome (passed, failed).',
    labelNames: ['model', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'rollbot_drill_last_success_timestamp_seconds',
    help: 'When each model last passed a rollback drill (unix seconds) or, before its first pass, when its drills were first planned; alert when it is more than 100 days ago.',
    labelNames: ['model'] as const,
    registers: [registry],
    async collect() {
      // Read from the store at scrape time: every replica reports the same, and a restart loses nothing.
      for (const [model, at] of Object.entries((await read((state) => state.drillLastSuccess())) ?? {})) {
        this.set({ model }, Math.floor(at / 1000));
      }
    },
  });
  const retros = async () => (await read((state) => state.retroCounts())) ?? [];
  new Gauge({
    name: 'rollbot_retros_open',
    help: 'Retrospectives opened and not yet completed, by model.',
    labelNames: ['model'] as const,
    registers: [registry],
    async collect() {
      for (const { model, open } of await retros()) this.set({ model }, open);
    },
  });
  new Gauge({
    name: 'rollbot_retros_overdue',
    help: 'Retrospectives past their due time and not completed, by model.',
    labelNames: ['model'] as const,
    registers: [registry],
    async collect() {
      for (const { model, overdue } of await retros()) this.set({ model }, overdue);
    },
  });
  new Gauge({
    name: 'rollbot_deadlines_overdue',
    help: 'Deadlines (stage targets, reminders, rollback settlements, …) due a minute ago or more that no replica has picked up: 0 unless deadline polling has stopped on every replica, when escalations are not happening. One failing and waiting for its next try counts in rollbot_deadline_failures_total instead.',
    registers: [registry],
    async collect() {
      const overdue = await read((state) => state.deadlinesOverdue());
      if (overdue !== undefined) this.set(overdue);
    },
  });
  return {
    registry,
    drillFinished: (model, outcome) => drills.inc({ model, outcome }),
    slackDeliveryFailed: (kind, reason) => slackFailures.inc({ kind, reason }),
    slackSetupProblems: (count) => slackSetup.set(count),
    alertReceived: (source, status) => alertsReceived.inc({ source, status }),
    alertRejected: (reason) => alertsRejected.inc({ reason }),
    incidentOpened: (model: string, severity: Severity, drill: boolean) =>
      incidents.inc({ model, severity: `SEV-${severity}`, drill: String(drill) }),
    stageCompleted: (stage: Stage, drill: boolean, seconds: number) =>
      stageDuration.observe({ stage, drill: String(drill) }, seconds),
    targetBreached: (stage: Stage, model: string) => breaches.inc({ stage, model }),
    // A drill's rollback is trigger="drill" whoever decided it, and stays out of the duration histogram, which has
    // no drill label: a quarter's dry runs (0 s) or staging rollbacks must not pass for production's time to roll back.
    rollbackFinished: (model, outcome, trigger, drill, seconds) => {
      rollbacks.inc({ model, outcome, trigger: drill ? 'drill' : trigger });
      if (!drill) rollbackDuration.observe({ model }, seconds);
    },
    deploymentRecorded: (model) => deployments.inc({ model }),
    messagePinned: (outcome) => pins.inc({ outcome }),
    deadlineFailed: (kind) => deadlineFailures.inc({ kind }),
  };
}

/**
 * Reads the store-backed state for a scrape: undefined when there is none, or when the store failed or did not
 * answer within the timeout. A gauge then sets nothing and keeps the values last read: the store being down must
 * not fail the whole scrape, which would take every counter with it and make rollbot look down (`up == 0`).
 */
function readingState(options: MetricsOptions) {
  const timeoutMs = options.stateTimeoutMs ?? STATE_READ_TIMEOUT_MS;
  let failing = false;
  return async <T>(reader: (state: MetricsState) => Promise<T>): Promise<T | undefined> => {
    const { state } = options;
    if (!state) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the store did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const value = await Promise.race([reader(state), timeout]);
      failing = false;
      return value;
    } catch (error) {
      if (!failing) options.onStateError?.(error);
      failing = true;
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
}
