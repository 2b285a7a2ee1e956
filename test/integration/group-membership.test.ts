import { randomUUID } from 'node:crypto';
import { LogLevel, WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  approverGroups,
  createGroupResolver,
  refreshGroupSnapshots,
  SNAPSHOT_MAX_AGE_MS,
  UNREACHABLE_MS,
  type GroupDirectory,
} from '../../src/engine/group-membership.js';
import { RunbookSet } from '../../src/engine/runbook-set.js';
import { makeRunbook } from '../helpers/engine.js';
import type { Logger, Store } from '../../src/engine/ports.js';
import { slackGroupDirectory } from '../../src/slack/usergroups.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { TestClock } from '../helpers/engine.js';

const API = 'https://slack.test';
const DAY = 86_400_000;

/** A logger that keeps its warnings: which snapshot decided, and how old it was, is part of the behaviour. */
function recordingLogger(): Logger & { warnings: { obj: object; msg: string | undefined }[] } {
  const warnings: { obj: object; msg: string | undefined }[] = [];
  const logger = {
    warnings,
    debug: () => {},
    info: () => {},
    warn: (obj: object, msg?: string) => warnings.push({ obj, msg }),
    error: () => {},
    child: () => logger,
  };
  return logger;
}

/** The Slack Web API's usergroups.users.list, answered by nock; `calls` counts the requests that reached it. */
function slackAnswers(reply: () => [number, string | Record<string, unknown>]) {
  const counted = { calls: 0 };
  nock(API)
    .persist()
    .post('/api/usergroups.users.list')
    .reply(() => {
      counted.calls += 1;
      return reply();
    });
  return counted;
}

let store: Store;
let prefix: string;
let clock: TestClock;
let logger: ReturnType<typeof recordingLogger>;
/** Slack answering (nock, at once): no retries, and no timeout a loaded machine's slow answer could reach. */
let directory: GroupDirectory;

/**
 * Slack through the Web API client, without retries, giving up after `timeoutMs`. Only the test of a Slack that
 * does not answer sets a short one: with 200 ms for all, a 200 or 503 that nock took longer than that to give (a
 * loaded machine) read as a timeout, and the tests of what Slack answered saw no answer.
 */
function slackDirectory(timeoutMs: number): GroupDirectory {
  return slackGroupDirectory(
    new WebClient('xoxb-test', {
      slackApiUrl: `${API}/api/`,
      retryConfig: { retries: 0 },
      timeout: timeoutMs,
      logLevel: LogLevel.ERROR,
    }),
  );
}

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  prefix = `test:${randomUUID()}:`;
  store = createRedisStore({ redis: inject('redisUrl'), prefix });
  clock = new TestClock();
  logger = recordingLogger();
  directory = slackDirectory(30_000);
});
afterEach(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await store.close();
});

const live = () => createGroupResolver({ store, clock, logger, directory });

describe('user-group membership: Slack first, then a recent snapshot, else not a member', () => {
  it('reads members from Slack, keeps them for five minutes, and stores a snapshot that expires in 7 days', async () => {
    const slack = slackAnswers(() => [200, { ok: true, users: ['U0ANA', 'U0BO'] }]);
    const groupsOf = live();
    expect(await groupsOf('U0ANA', ['U0LEAD', 'S0ONCALL1'])).toEqual({
      groups: ['S0ONCALL1'],
      unchecked: [],
    });
    expect(await groupsOf('U0CAROL', ['S0ONCALL1'])).toEqual({ groups: [], unchecked: [] });
    expect(slack.calls).toBe(1);

    expect(JSON.parse((await store.getValue('usergroup:S0ONCALL1')) ?? 'null')).toEqual({
      members: ['U0ANA', 'U0BO'],
      at: clock.now(),
    });
    const redis = new Redis(inject('redisUrl'));
    const ttl = await redis.pttl(`${prefix}value:usergroup:S0ONCALL1`);
    redis.disconnect();
    expect(ttl).toBeGreaterThan(SNAPSHOT_MAX_AGE_MS - DAY);
    expect(ttl).toBeLessThanOrEqual(SNAPSHOT_MAX_AGE_MS);
    expect(SNAPSHOT_MAX_AGE_MS).toBe(7 * DAY);

    clock.advance(300_000);
    await groupsOf('U0ANA', ['S0ONCALL1']);
    expect(slack.calls).toBe(2);
  });

  it('uses the snapshot when Slack answers 503, saying how old it is; someone not in it is not a member', async () => {
    let up = true;
    const slack = slackAnswers(() => (up ? [200, { ok: true, users: ['U0ANA'] }] : [503, 'unavailable']));
    const groupsOf = live();
    await groupsOf('U0ANA', ['S0ONCALL1']);
    up = false;
    clock.advance(3 * DAY);

    expect(await groupsOf('U0ANA', ['S0ONCALL1'])).toEqual({ groups: ['S0ONCALL1'], unchecked: [] });
    expect(await groupsOf('U0CAROL', ['S0ONCALL1'])).toEqual({ groups: [], unchecked: [] });
    // The second check, within a minute of Slack's failure, went straight to the snapshot.
    expect(slack.calls).toBe(2);
    expect(logger.warnings.at(-1)).toEqual({
      obj: expect.objectContaining({ group: 'S0ONCALL1', snapshotAgeMs: 3 * DAY }),
      msg: expect.stringMatching(/statusCode = 503.*using the snapshot of S0ONCALL1's members from 3d ago/),
    });
  });

  it('asks Slack again only a minute after it failed: checks in between go straight to the snapshot', async () => {
    let up = true;
    const slack = slackAnswers(() => (up ? [200, { ok: true, users: ['U0ANA'] }] : [503, 'unavailable']));
    const groupsOf = live();
    await groupsOf('U0ANA', ['S0ONCALL1']);
    up = false;
    clock.advance(300_000);
    for (let check = 0; check < 5; check++) {
      expect(await groupsOf('U0ANA', ['S0ONCALL1'])).toEqual({ groups: ['S0ONCALL1'], unchecked: [] });
      clock.advance(10_000);
    }
    // One live attempt failed; the four checks in the minute after it did not wait for Slack again.
    expect(slack.calls).toBe(2);
    expect(logger.warnings.at(-1)?.msg).toMatch(/statusCode = 503.*using the snapshot/);

    clock.advance(UNREACHABLE_MS);
    up = true;
    await groupsOf('U0ANA', ['S0ONCALL1']);
    expect(slack.calls).toBe(3);
  });

  it('uses the snapshot when Slack does not answer in time', async () => {
    await createGroupResolver({
      store,
      clock,
      logger,
      directory: { members: async () => ['U0ANA'] },
    })('U0ANA', ['S0ONCALL1']);
    const slow = nock(API)
      .post('/api/usergroups.users.list')
      .delay(5_000)
      .reply(200, { ok: true, users: [] });
    clock.advance(DAY);

    // The client's 200 ms timer starts before nock's 5 s one: it fires first however loaded the machine is.
    const impatient = createGroupResolver({ store, clock, logger, directory: slackDirectory(200) });
    expect(await impatient('U0ANA', ['S0ONCALL1'])).toEqual({ groups: ['S0ONCALL1'], unchecked: [] });
    expect(slow.isDone()).toBe(true);
    expect(logger.warnings.at(-1)?.msg).toMatch(/using the snapshot of S0ONCALL1's members from 1d ago/);
  });

  it('counts a snapshot for just under 7 days, then no longer: the person is not a member, and why is said', async () => {
    await createGroupResolver({ store, clock, logger, directory: { members: async () => ['U0ANA'] } })(
      'U0ANA',
      ['S0ONCALL1'],
    );
    const taken = clock.now();
    slackAnswers(() => [503, 'unavailable']);
    const groupsOf = live();

    clock.set(taken + SNAPSHOT_MAX_AGE_MS - 1);
    expect(await groupsOf('U0ANA', ['S0ONCALL1'])).toEqual({ groups: ['S0ONCALL1'], unchecked: [] });

    clock.set(taken + SNAPSHOT_MAX_AGE_MS);
    expect(await groupsOf('U0ANA', ['S0ONCALL1'])).toEqual({
      groups: [],
      unchecked: [
        {
          group: 'S0ONCALL1',
          why: expect.stringMatching(
            /^Slack did not answer \(.*statusCode = 503\), and the last snapshot of its members is 7d old \(snapshots count for 7d\)$/,
          ),
        },
      ],
    });
  });

  it('counts nobody as a member of a group Slack cannot be asked about and no snapshot holds', async () => {
    slackAnswers(() => [500, 'internal error']);
    expect(await live()('U0ANA', ['U0LEAD', 'S0ONCALL1'])).toEqual({
      groups: [],
      unchecked: [
        {
          group: 'S0ONCALL1',
          why: expect.stringMatching(
            /^Slack did not answer \(.*statusCode = 500\), and no snapshot of its members is stored$/,
          ),
        },
      ],
    });
  });

  it('reads only snapshots where there is no Slack client (the in-process CLI)', async () => {
    await createGroupResolver({ store, clock, logger, directory: { members: async () => ['U0ANA'] } })(
      'U0ANA',
      ['S0ONCALL1', 'S0SEARCHOC'],
    );
    await store.setValue(
      'usergroup:S0SEARCHOC',
      JSON.stringify({ members: ['U0ANA'], at: clock.now() - 8 * DAY }),
    );
    const snapshots = createGroupResolver({ store, clock, logger });

    expect(await snapshots('U0ANA', ['S0ONCALL1', 'S0SEARCHOC', 'S0NEVERSEEN'])).toEqual({
      groups: ['S0ONCALL1'],
      unchecked: [
        {
          group: 'S0SEARCHOC',
          why: 'Slack is not asked from here (no SLACK_BOT_TOKEN), and the last snapshot of its members is 8d old (snapshots count for 7d)',
        },
        {
          group: 'S0NEVERSEEN',
          why: 'Slack is not asked from here (no SLACK_BOT_TOKEN), and no snapshot of its members is stored',
        },
      ],
    });
  });

  it("keeps Slack's answer when the snapshot cannot be written", async () => {
    slackAnswers(() => [200, { ok: true, users: ['U0ANA'] }]);
    const failing: Pick<Store, 'getValue' | 'setValue'> = {
      getValue: (key) => store.getValue(key),
      setValue: async () => {
        throw new Error('READONLY You cannot write against a read only replica.');
      },
    };
    const groupsOf = createGroupResolver({ store: failing, clock, logger, directory });
    expect(await groupsOf('U0ANA', ['S0ONCALL1'])).toEqual({ groups: ['S0ONCALL1'], unchecked: [] });
    expect(logger.warnings.at(-1)?.msg).toMatch(/cannot store the snapshot of S0ONCALL1's members/);
  });

  it('asks nothing about someone who is no Slack user (cli:<login>, a script): no group can hold them', async () => {
    const slack = slackAnswers(() => [503, 'unavailable']);
    expect(await live()('cli:ana', ['S0ONCALL1'])).toEqual({ groups: [], unchecked: [] });
    expect(await live()('api', ['S0ONCALL1'])).toEqual({ groups: [], unchecked: [] });
    expect(slack.calls).toBe(0);
  });

  it('treats a snapshot it cannot read as none', async () => {
    slackAnswers(() => [503, 'unavailable']);
    await store.setValue('usergroup:S0ONCALL1', '{"members": "U0ANA"}');
    expect(await live()('U0ANA', ['S0ONCALL1'])).toEqual({
      groups: [],
      unchecked: [
        { group: 'S0ONCALL1', why: expect.stringMatching(/no snapshot of its members is stored$/) },
      ],
    });
  });
});

describe('keeping every approver group’s snapshot fresh, whether or not anyone acted through it', () => {
  it('names each user group the runbooks list as approvers once, and no user', () => {
    const runbooks = new RunbookSet([
      makeRunbook('fraud-scorer', 'rollback: { approvers: [S0ONCALL1, U0LEAD] }'),
      makeRunbook('search-ranker', 'rollback: { approvers: [S0SEARCHOC, S0ONCALL1] }'),
    ]);
    expect(approverGroups(runbooks).sort()).toEqual(['S0ONCALL1', 'S0SEARCHOC']);
  });

  it('stores a snapshot of every group Slack answers for, and leaves the last one of a group it does not', async () => {
    await store.setValue('usergroup:S0DOWN', JSON.stringify({ members: ['U0OLD'], at: clock.now() }));
    clock.advance(DAY);
    const refreshed = await refreshGroupSnapshots(
      {
        store,
        clock,
        logger,
        directory: {
          members: async (group) => {
            if (group === 'S0DOWN') throw new Error('Slack is down');
            return group === 'S0ONCALL1' ? ['U0ANA'] : ['U0BO'];
          },
        },
      },
      ['S0ONCALL1', 'S0DOWN', 'S0SEARCHOC'],
    );
    expect(refreshed).toBe(2);
    const snapshot = async (group: string) =>
      JSON.parse((await store.getValue(`usergroup:${group}`)) ?? 'null');
    expect(await snapshot('S0ONCALL1')).toEqual({ members: ['U0ANA'], at: clock.now() });
    expect(await snapshot('S0SEARCHOC')).toEqual({ members: ['U0BO'], at: clock.now() });
    expect(await snapshot('S0DOWN')).toEqual({ members: ['U0OLD'], at: clock.now() - DAY });
    expect(logger.warnings).toEqual([
      {
        obj: expect.objectContaining({ group: 'S0DOWN' }),
        msg: "cannot refresh the snapshot of S0DOWN's members",
      },
    ]);
  });
});
