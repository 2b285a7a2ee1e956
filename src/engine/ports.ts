/**
 * The engine's view of the world: the store, metrics and logging. Adapters (store/redis, store/memory,
 * observability/, …) implement these; serving/ the serving port (serving-port.ts), metrics-source/ the metrics
 * port (metrics-port.ts), console/ and slack/ the notifier port (notifier-port.ts). The engine never imports an
 * adapter.
 * Every method may reject on I/O failure.
 */
import type { Deployment } from '../core/ledger.js';
import type { Incident, IncidentHead } from '../core/incident.js';
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
   * The model's open incident as this replica last stored it, without a round trip when it has one; else as
   * openIncidentFor. It may be out of date — another replica's write since, even one that closed it — so it is
   * only for a caller whose write from it is a compare-and-set (updateIncident), which an out-of-date copy loses:
   * intake, where the read it spares is most of an alert's cost.
   */
  seenOpenIncidentFor(model: string): Promise<Incident | undefined>;
  /**
   * Replaces the incident if its stored version still equals `incident.version`; the stored copy gets
   * version + 1 and is returned. Returns undefined when someone else wrote first (re-read and try again).
   * An incident that leaves the open phases stops being its model's open incident.
   */
  updateIncident(incident: Incident, options?: IncidentUpdateOptions): Promise<Incident | undefined>;
  /**
   * Which of `keys` were recorded with an update of this incident (`alertKeys`). An incident keeps only
   * MAX_ALERT_REFS alert refs but remembers every alert key that joined it, so that an alert re-sent after
   * the hundredth is still known to be a duplicate.
   */
  knownAlertKeys(incidentId: string, keys: readonly string[]): Promise<Set<string>>;
  /** Newest first. */
  listIncidents(filter: IncidentFilter): Promise<Incident[]>;
  /** Newest first, without their alert refs (`listIncidents` for lists that show none). */
  listIncidentHeads(filter: IncidentFilter): Promise<IncidentHead[]>;
}

export interface IncidentFilter {
  open?: boolean;
  model?: string;
  /** At most this many; 100 when unset. */
  limit?: number;
  /**
   * Only those listed after this incident, newest first: opened before it, or in the same millisecond with a lower
   * id (the order's tie-break, store/ordering.ts). Given a page's last incident, the next page; the incident need
   * not match the rest of the filter.
   */
  before?: IncidentPosition;
}

/** Where an incident stands in the newest-first order of lists: when it opened, then its id. */
export type IncidentPosition = Pick<Incident, 'openedAt' | 'id'>;

export interface IncidentUpdateOptions {
  /**
   * Alert keys recorded together with this write, atomically: either the incident is written and the keys are
   * known, or neither. The write is refused (undefined, as for a stale version) when one of them is already
   * known, so a key is recorded at most once however many replicas race.
   */
  alertKeys?: readonly string[];
  /**
   * Entries of this incident's timeline appended in the same step as the write, in order and numbered as
   * `append` numbers them: a crash cannot leave an alert joined but missing from the record. Refused (throws)
   * when an entry is another incident's.
   */
  timeline?: readonly Omit<TimelineEntry, 'seq'>[];
  /**
   * Deadlines scheduled in the same step as the write (each as `schedule` would: one of the same id moves),
   * none with a refused write: work the write calls for (an alert's re-triage) cannot be lost between the two.
   */
  deadlines?: readonly Deadline[];
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
  /**
   * Appends `entry` unless an entry was appended to the same incident's timeline under `key` before, in one step
   * across replicas; undefined when it was (nothing appended). Keys live as long as the timeline: what something
   * outside (a Slack message) put on the record is on it once, however often it is delivered.
   */
  appendOnce(entry: Omit<TimelineEntry, 'seq'>, key: string): Promise<TimelineEntry | undefined>;
  list(incidentId: string): Promise<TimelineEntry[]>;
  /**
   * The entries of `types` only, in append order: what a check for one kind of entry reads, rather than a storm
   * incident's whole timeline of thousands of `alert.attached`. Undefined when the store cannot answer from its
   * index of types (Redis: a timeline begun by a build before 2026-12-04, which kept none, or written to by one
   * since), or asked for a type written with every alert delivery, which Redis does not index (`alert.attached`):
   * `list` it then.
   */
  listOfTypes(incidentId: string, types: readonly string[]): Promise<TimelineEntry[] | undefined>;
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
  /**
   * Its handler's failures in a row since it was last scheduled: written by `retryLater` only, and gone once it is
   * scheduled again. Absent on one that has not failed, and on one only builds before 2026-12-04 retried (they
   * kept no count).
   */
  failures?: DeadlineFailures;
}

/** How many times in a row a deadline's handler has failed, and since when. */
export interface DeadlineFailures {
  /** 1 after the first failure. */
  count: number;
  /** When the first of them failed. */
  since: number;
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
  /**
   * Removes a handled deadline for good — unless something happened to it since the claim that ends at
   * `claimedUntil` (`now + leaseMs` of the claimDue that handed it out): scheduled again, at another due time or
   * the same one, or claimed again (by a poller that found it still running, or by another once the lease
   * passed). A handler that schedules its own next run (the next confirmation poll) must not lose it, nor may a
   * rollback retry, which keeps its stage's clock, lose the rollback target being handled; one claimed again
   * is its new claimer's to complete.
   */
  complete(deadline: Pick<Deadline, 'id' | 'dueAt'>, claimedUntil: number): Promise<void>;
  /**
   * Puts back a deadline whose handler failed, as `deadline` (carrying its `failures`), to be handed out again at
   * `retryAt` instead of at the end of the claim that ends at `claimedUntil` — unless, as for `complete`,
   * something happened to it since that claim (scheduled again, claimed again, cancelled): then it is left as that
   * made it. True when it was put back.
   */
  retryLater(deadline: Deadline, claimedUntil: number, retryAt: number): Promise<boolean>;
  /** Every pending deadline, soonest first (for status pages and tests). */
  pending(): Promise<Deadline[]>;
  /**
   * How many deadlines were due by `dueBy` and are held by no poller: never claimed, or their claim's lease ran out
   * by then. One being handled, or put back after a failure for later (retryLater), is not counted.
   */
  countUnclaimed(dueBy: number): Promise<number>;
}

/** Idempotency keys: the first caller of a key wins, later ones (within ttl) are told it is taken. */
export interface OnceKeys {
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
}

/**
 * Small values by key, with an optional expiry: where a Slack message lives, a pending two-person request.
 */
export interface Values {
  setValue(key: string, value: string, ttlMs?: number): Promise<void>;
  getValue(key: string): Promise<string | undefined>;
  /**
   * Sets `value` only if the key still holds `expected`, as the caller read it (undefined: only if it holds
   * nothing; an expired value is nothing), in one step; true when it did. Of several callers that read the
   * same thing and decided on it at once, exactly one writes: the others read again and decide again.
   */
  compareAndSetValue(
    key: string,
    expected: string | undefined,
    value: string,
    ttlMs?: number,
  ): Promise<boolean>;
  /**
   * Deletes the value only if the key still holds `expected`, as the caller read it (an expired value is
   * nothing), in one step; true when it did. Of several callers that read the same value and decided on it,
   * exactly one takes it, and none takes a value written since its read: one approval executes, and only
   * on the request it checked.
   */
  takeValueIfHeld(key: string, expected: string): Promise<boolean>;
}

/** rollbot's own record of deployments per model: most serving layers forget the previous version. */
export interface Ledger {
  recordDeployment(deployment: Omit<Deployment, 'rolledBackAt' | 'incidentId'>): Promise<Deployment>;
  /** Newest first; at most `limit` (default 50). Each carries its rolled-back mark, if any. */
  deployments(model: string, limit?: number): Promise<Deployment[]>;
  /** Marks every deployment of `version` as rolled back (traffic moved away from it in `incidentId`). */
  markRolledBack(model: string, version: string, at: number, incidentId: string): Promise<void>;
  /**
   * Every version of the model rolled back from, recorded deployment or not, and not deployed again since (a
   * deployment CI recorded after the mark lifts it): version → when and in which incident.
   */
  rolledBack(model: string): Promise<Record<string, { at: number; incidentId: string }>>;
}

/** Everything durable, from one backend. */
export interface Store extends IncidentStore, Timeline, Lock, Deadlines, OnceKeys, Values, Ledger {
  /** Rejects when the backend is unreachable or takes no writes (for /readyz). */
  ping(): Promise<void>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** The engine's counters and timings; observability/metrics.ts maps them onto `rollbot_` metrics. */
export interface EngineMetrics {
  alertReceived(source: string, status: string): void;
  alertRejected(reason: string): void;
  incidentOpened(model: string, severity: Severity, drill: boolean): void;
  stageCompleted(stage: Stage, drill: boolean, seconds: number): void;
  targetBreached(stage: Stage, model: string): void;
  /**
   * A rollback ended. `drill`: the rollback of a drill, whoever decided it (a person in Slack, as scheduled drills
   * are, or the drill's own automatic decision): the adapter keeps it apart from production's rollbacks.
   */
  rollbackFinished(
    model: string,
    outcome: 'succeeded' | 'failed' | 'unknown',
    trigger: string,
    drill: boolean,
    seconds: number,
  ): void;
  deploymentRecorded(model: string): void;
  drillFinished(model: string, outcome: 'passed' | 'failed'): void;
  /** A message pinned in a chat thread, by what became of it (engine/pinned.ts PinOutcome). */
  messagePinned(outcome: string): void;
  /** A deadline's handler failed (it is tried again later: deadline-failure.ts), by the deadline's kind. */
  deadlineFailed(kind: string): void;
}

/** The subset of pino the engine uses, so the engine needs no logging library. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
