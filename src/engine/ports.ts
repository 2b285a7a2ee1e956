/**
 * The engine's view of the world. Adapters (store/redis, store/memory, console/, slack/, observability/, …)
 * implement these; the engine never imports an adapter. Every method may reject on I/O failure.
 */
import type { Incident } from '../core/incident.js';
import type { Severity } from '../core/severity.js';
import type { Stage } from '../core/stages.js';

/** Time is a parameter: tests pass a clock they control. */
export interface Clock {
  now(): number;
}

/** Incidents, with one open incident per model and optimistic concurrency on every write. */
export interface IncidentStore {
  /** A new, never reused incident ID such as `INC-42`. */
  nextIncidentId(): Promise<string>;
  /**
   * Stores `incident` as the model's open incident unless the model already has one; atomic across
   * replicas. Returns the stored incident and whether it was created (false: the existing open one).
   */
  createIfNoneOpen(incident: Incident): Promise<{ incident: Incident; created: boolean }>;
  getIncident(id: string): Promise<Incident | undefined>;
  /** The model's open incident, if any. */
  openIncidentFor(model: string): Promise<Incident | undefined>;
  /**
   * Replaces the incident if its stored version still equals `incident.version`; the stored copy gets
   * version + 1 and is returned. Returns undefined when someone else wrote first (re-read and try again).
   * An incident that leaves the open phases stops being its model's open incident.
   */
  updateIncident(incident: Incident): Promise<Incident | undefined>;
  /** Newest first. */
  listIncidents(filter: { open?: boolean; model?: string; limit?: number }): Promise<Incident[]>;
}

export interface TimelineEntry {
  /** 1, 2, 3 … in append order, per incident. */
  seq: number;
  at: number;
  incidentId: string;
  /** What happened, machine-readable: `incident.opened`, `alert.attached`, `stage.breached`, … */
  type: string;
  /** Who did it: a Slack user ID, `rollbot`, `cli:<user>`, `api`. */
  actor: string;
  /** One line for people. */
  text: string;
  data?: Record<string, unknown>;
}

/** The append-only record of an incident: the compliance record, never edited or reordered. */
export interface Timeline {
  append(entry: Omit<TimelineEntry, 'seq'>): Promise<TimelineEntry>;
  list(incidentId: string): Promise<TimelineEntry[]>;
}

export interface Lease {
  name: string;
  /** Secret of the holder; only it can release or extend. */
  token: string;
  /** Who holds it, for "rollback of X by Y in progress since …". */
  owner: string;
  acquiredAt: number;
  /** Strictly increasing per lock name; a serving call can carry it to refuse stale holders. */
  fence: number;
}

/** Mutual exclusion across replicas, with expiry so that a crashed holder does not block forever. */
export interface Lock {
  /** The lease, or undefined when someone else holds the lock. `now` is recorded as acquiredAt. */
  acquire(name: string, owner: string, ttlMs: number, now: number): Promise<Lease | undefined>;
  /** True when the lease was still held by this token and is now released. */
  release(lease: Lease): Promise<boolean>;
  /** True when the lease was still held by this token and now expires `ttlMs` from now. */
  extend(lease: Lease, ttlMs: number): Promise<boolean>;
  /** The current holder, if any. */
  holder(name: string): Promise<Omit<Lease, 'token'> | undefined>;
}

export interface Deadline {
  /** Deterministic (e.g. `INC-7:triage`) so that scheduling twice keeps one deadline. */
  id: string;
  kind: string;
  dueAt: number;
  payload: Record<string, unknown>;
}

/** Durable timers. A due deadline is handed to exactly one poller at a time. */
export interface Deadlines {
  /** Adds or moves a deadline. */
  schedule(deadline: Deadline): Promise<void>;
  cancel(id: string): Promise<void>;
  /**
   * Atomically takes up to `limit` deadlines due at `now`. A taken deadline is hidden from other pollers for
   * `leaseMs`; if it is not completed by then (its poller died) it is handed out again.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<Deadline[]>;
  /** Removes a handled deadline for good. */
  complete(id: string): Promise<void>;
  /** Every pending deadline, soonest first (for status pages and tests). */
  pending(): Promise<Deadline[]>;
}

/** Idempotency keys: the first caller of a key wins, later ones (within ttl) are told it is taken. */
export interface OnceKeys {
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
}

/** Everything durable, from one backend. */
export interface Store extends IncidentStore, Timeline, Lock, Deadlines, OnceKeys {
  /** Rejects when the backend is unreachable (for /readyz). */
  ping(): Promise<void>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** Things the engine tells people about. Adapters decide how (console lines, Slack messages, …). */
export type NotifierEvent =
  | { type: 'incident.opened'; incident: Incident; channel: string }
  | { type: 'incident.updated'; incident: Incident; channel: string; text: string }
  | {
      type: 'escalation';
      incident: Incident;
      channel: string;
      stage: Stage;
      mention: string[];
      text: string;
    };

export interface Notifier {
  /** Must not throw for delivery failures: a notifier records its own failures and never blocks a rollback. */
  notify(event: NotifierEvent): Promise<void>;
}

/** The engine's counters and timings; observability/metrics.ts maps them onto `rollbot_` metrics. */
export interface EngineMetrics {
  alertReceived(source: string, status: string): void;
  alertRejected(reason: string): void;
  incidentOpened(model: string, severity: Severity, drill: boolean): void;
  stageCompleted(stage: Stage, drill: boolean, seconds: number): void;
  targetBreached(stage: Stage, model: string): void;
}

/** The subset of pino the engine uses, so the engine needs no logging library. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
