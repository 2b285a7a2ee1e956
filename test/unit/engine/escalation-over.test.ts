import { describe, expect, it } from 'vitest';
import { decide, trafficRestored } from '../../../src/core/incident.js';
import { dismiss } from '../../../src/engine/decisions.js';
import { escalateIfBreached } from '../../../src/engine/escalation.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { resolve } from '../../../src/engine/resolve.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, metricValue } from '../../helpers/engine.js';

const MINUTE = 60_000;

/** A late alert (its detect target missed): its escalation is due, not yet sent. */
async function lateAlert() {
  const deps = makeDeps();
  const now = deps.clock.now();
  await ingestAlerts(deps, [firing('fraud-scorer', now, { startsAt: now - 7 * MINUTE })]);
  expect(deps.notifier.ofType('escalation')).toHaveLength(0);
  return deps;
}

async function breaches(deps: ReturnType<typeof makeDeps>) {
  return (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
}

describe('a missed detect target of an incident over before its escalation went out', () => {
  it('is recorded and counted, not escalated, once the incident was dismissed', async () => {
    const deps = await lateAlert();
    await dismiss(deps, 'INC-1', {
      actor: { id: 'U0LEAD', groups: [] },
      reason: 'upstream outage',
      trigger: 'slack',
    });
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('escalation')).toEqual([]);
    const [entry, ...more] = await breaches(deps);
    expect(more).toEqual([]);
    expect(entry?.data).toMatchObject({ stage: 'detect', delivered: false, over: true });
    expect(entry?.text).toBe(
      'detect target missed for fraud-scorer (INC-1): 7m against a target of 5m; the incident was dismissed by then: nobody was paged',
    );
    expect(
      await metricValue(deps.metrics, 'rollbot_target_breaches_total', {
        stage: 'detect',
        model: 'fraud-scorer',
      }),
    ).toBe(1);
  });

  it('is not escalated once the incident was resolved', async () => {
    const deps = await lateAlert();
    await resolve(deps, 'INC-1', { by: 'U0ANA', reason: 'back to normal' });
    await pollDeadlines(deps);
    expect(deps.notifier.ofType('escalation')).toEqual([]);
    expect((await breaches(deps)).map((entry) => entry.text)).toEqual([
      'detect target missed for fraud-scorer (INC-1): 7m against a target of 5m; the incident was resolved by then: nobody was paged',
    ]);
  });
});

describe('what a missed target asks of the people it mentions', () => {
  it('says, for confirm, where to look and what to do next', async () => {
    const deps = makeDeps();
    const opened = deps.clock.now();
    await ingestAlerts(deps, [firing('fraud-scorer', opened)]);
    await mutateIncident(deps.store, 'INC-1', (incident) =>
      trafficRestored(
        decide(incident, {
          kind: 'rollback',
          by: 'U1',
          at: opened + MINUTE,
          reason: 'v42',
          trigger: 'slack',
        }),
        opened + 2 * MINUTE,
      ),
    );
    deps.clock.set(opened + 16 * MINUTE);
    expect(await escalateIfBreached(deps, 'INC-1', 'confirm')).toBe(true);
    const [escalation] = deps.notifier.ofType('escalation');
    expect(escalation?.text).toBe(
      'confirm target missed for fraud-scorer (INC-1): 15m against a target of 15m: the metrics have not confirmed service is restored; ' +
        'see the confirmation checks in the incident message, then roll back further, or resolve by hand once service is back',
    );
  });
});
