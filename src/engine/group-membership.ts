/**
 * Who is in a runbook's approver user groups (`S…` in rollback.approvers), for every surface: Slack, the HTTP API
 * and the CLI. The one place that decides it: Slack's answer (cached five minutes), else a recent snapshot of
 * that answer in the store, else not a member (fail closed).
 */
import { formatDuration } from '../core/duration.js';
import { isUserGroupId, type Actor, type UncheckedGroup } from '../core/policy.js';
import type { Clock, Logger, Store } from './ports.js';
import type { RunbookSet } from './runbook-set.js';

/**
 * Reads a user group's members live (Slack's usergroups.users.list, slack/usergroups.ts); throws when it cannot.
 */
export interface GroupDirectory {
  members(group: string): Promise<readonly string[]>;
}

/** Who is in a user group changes rarely; five minutes of staleness is fine and keeps us far under Tier 2. */
const LIVE_CACHE_MS = 300_000;

/**
 * After Slack failed to answer for a group, how long checks go straight to its snapshot: each live attempt
 * waits out the client's timeout and retry (seconds), which every action by a group approver would pay again
 * while Slack is down.
 */
export const UNREACHABLE_MS = 60_000;

/**
 * How long a snapshot of a group's members may decide when Slack cannot be asked: a week outlasts a Slack outage
 * over a long weekend, and someone taken out of the on-call group stops counting within a week even if Slack
 * never answers again. The store expires snapshots after as long.
 */
export const SNAPSHOT_MAX_AGE_MS = 7 * 86_400_000;

/** The store value holding a group's last members read from Slack, as JSON `{members, at}`. */
const snapshotKey = (group: string): string => `usergroup:${group}`;

export interface Membership {
  /** The candidate groups the person is in. */
  groups: string[];
  /** The candidate groups whose members are unknown now: the person counts as not in them. */
  unchecked: UncheckedGroup[];
}

/** The groups among `candidates` (a runbook's approvers; user IDs in it are ignored) that `userId` is in. */
export type GroupResolver = (userId: string, candidates: readonly string[]) => Promise<Membership>;

type Members = { known: ReadonlySet<string> } | { unknown: string };

/** A Slack user ID (`U…`, or `W…` on Enterprise Grid): only those can be in a user group. */
const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

/** Every user group some runbook's rollback.approvers names: the groups whose snapshots are kept fresh. */
export function approverGroups(runbooks: RunbookSet): string[] {
  const groups = runbooks.all.flatMap((runbook) => runbook.rollback.approvers);
  return [...new Set(groups.filter(isUserGroupId))];
}

interface SnapshotKeeping {
  store: Pick<Store, 'getValue' | 'setValue'>;
  clock: Clock;
  logger: Logger;
}

/** Keeps Slack's answer as the group's snapshot; a failure to store it leaves Slack's answer standing. */
async function keepSnapshot(
  { store, clock, logger }: SnapshotKeeping,
  group: string,
  members: ReadonlySet<string>,
): Promise<void> {
  const snapshot: Snapshot = { members: [...members], at: clock.now() };
  try {
    await store.setValue(snapshotKey(group), JSON.stringify(snapshot), SNAPSHOT_MAX_AGE_MS);
  } catch (error) {
    // Only a later outage loses the fallback.
    logger.warn({ err: error, group }, `cannot store the snapshot of ${group}'s members`);
  }
}

/**
 * Reads every group in `groups` from Slack and keeps its snapshot, so that a snapshot exists (and is recent)
 * for every approver group when Slack goes down, whether or not anybody acted through it lately. A group Slack
 * does not answer for keeps its last snapshot. Resolves to how many were refreshed.
 */
export async function refreshGroupSnapshots(
  options: SnapshotKeeping & { directory: GroupDirectory },
  groups: readonly string[],
): Promise<number> {
  let refreshed = 0;
  for (const group of groups) {
    try {
      await keepSnapshot(options, group, new Set(await options.directory.members(group)));
      refreshed += 1;
    } catch (error) {
      options.logger.warn({ err: error, group }, `cannot refresh the snapshot of ${group}'s members`);
    }
  }
  return refreshed;
}

interface Snapshot {
  members: string[];
  at: number;
}

/**
 * The resolver: `directory` is Slack when this process has a client for it; without one (the in-process CLI)
 * only snapshots, written by a bot on the same store, decide.
 */
export function createGroupResolver(options: {
  store: Pick<Store, 'getValue' | 'setValue'>;
  clock: Clock;
  logger: Logger;
  directory?: GroupDirectory;
}): GroupResolver {
  const { store, clock, logger, directory } = options;
  const cache = new Map<string, { members: ReadonlySet<string>; until: number }>();
  /** Groups Slack just failed to answer for: until when checks skip it, and what it said. */
  const unreachable = new Map<string, { until: number; failure: string }>();

  async function membersOf(group: string): Promise<Members> {
    const now = clock.now();
    const hit = cache.get(group);
    if (hit && hit.until > now) return { known: hit.members };
    if (!directory) return fromSnapshot(group, 'Slack is not asked from here (no SLACK_BOT_TOKEN)');
    const down = unreachable.get(group);
    if (down && down.until > now) return fromSnapshot(group, down.failure);
    let members: ReadonlySet<string>;
    try {
      members = new Set(await directory.members(group));
    } catch (error) {
      const failure = `Slack did not answer (${(error as Error).message})`;
      unreachable.set(group, { until: clock.now() + UNREACHABLE_MS, failure });
      return fromSnapshot(group, failure);
    }
    unreachable.delete(group);
    cache.set(group, { members, until: clock.now() + LIVE_CACHE_MS });
    await keepSnapshot(options, group, members);
    return { known: members };
  }

  async function fromSnapshot(group: string, failure: string): Promise<Members> {
    const snapshot = readSnapshot(await store.getValue(snapshotKey(group)));
    if (!snapshot) {
      logger.warn({ group }, `${failure}; no snapshot of ${group}'s members: nobody counts as in it`);
      return { unknown: `${failure}, and no snapshot of its members is stored` };
    }
    const age = clock.now() - snapshot.at;
    if (age >= SNAPSHOT_MAX_AGE_MS) {
      const tooOld = `the last snapshot of its members is ${formatDuration(age)} old (snapshots count for ${formatDuration(SNAPSHOT_MAX_AGE_MS)})`;
      logger.warn({ group, snapshotAgeMs: age }, `${failure}; ${tooOld}: nobody counts as in ${group}`);
      return { unknown: `${failure}, and ${tooOld}` };
    }
    logger.warn(
      { group, snapshotAgeMs: age, snapshotAt: snapshot.at },
      `${failure}; using the snapshot of ${group}'s members from ${formatDuration(age)} ago`,
    );
    return { known: new Set(snapshot.members) };
  }

  return async (userId, candidates) => {
    // `cli:<login>` or a script's name is in no group: asking Slack, or saying it could not be checked, would mislead.
    if (!SLACK_USER.test(userId)) return { groups: [], unchecked: [] };
    const groups = candidates.filter(isUserGroupId);
    const answers = await Promise.all(
      groups.map(async (group) => ({ group, members: await membersOf(group) })),
    );
    return {
      groups: answers.flatMap(({ group, members }) =>
        'known' in members && members.known.has(userId) ? [group] : [],
      ),
      unchecked: answers.flatMap(({ group, members }) =>
        'unknown' in members ? [{ group, why: members.unknown }] : [],
      ),
    };
  };
}

/** A stored snapshot, or undefined when there is none or it is not one (then it cannot vouch for anybody). */
function readSnapshot(raw: string | undefined): Snapshot | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const { members, at } = (parsed ?? {}) as Partial<Record<keyof Snapshot, unknown>>;
  const valid =
    Array.isArray(members) &&
    members.every((member) => typeof member === 'string') &&
    typeof at === 'number' &&
    Number.isFinite(at);
  return valid ? { members: members as string[], at } : undefined;
}

/**
 * Runs `work` as `userId` acting on `model`, an Actor with the runbook's approver groups they are in, and those
 * whose members could not be checked: should the runbook refuse them, the refusal (and its record) says so and
 * how to get through (engine/authorize.ts), rather than only "the runbook allows S…" to someone who may well be
 * in S….
 */
export async function actingAs<T>(
  context: { runbooks: RunbookSet; groupsOf: GroupResolver },
  who: { userId: string; model: string },
  work: (actor: Actor) => Promise<T>,
): Promise<T> {
  const approvers = context.runbooks.get(who.model)?.rollback.approvers ?? [];
  const { groups, unchecked } = await context.groupsOf(who.userId, approvers);
  return work({ id: who.userId, groups, ...(unchecked.length ? { unchecked } : {}) });
}

/**
 * What a refusal adds for groups that could not be checked: why, and how to get through. Empty without any.
 */
export function uncheckedGroupsNote(unchecked: readonly UncheckedGroup[] = []): { why: string; fix: string } {
  if (unchecked.length === 0) return { why: '', fix: '' };
  const why = unchecked.map(({ group, why }) => `membership of ${group} could not be checked: ${why}`);
  return {
    why: `; ${why.join('; ')}`,
    fix:
      `act as a user ID that rollback.approvers lists, or try again once Slack answers (group members are read ` +
      `from Slack, or from a snapshot of them under ${formatDuration(SNAPSHOT_MAX_AGE_MS)} old)`,
  };
}
