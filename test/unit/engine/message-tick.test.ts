import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/core/incident.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { MESSAGE_TICK_MS, startMessageTicker, tickOpenIncidents } from '../../../src/engine/message-tick.js';
import { mutateIncident } from '../../../src/engine/mutate.js';
import { firing } from '../../helpers/alerts.js';
import { eventually } from '../../helpers/bot-process.js';
import { makeDeps } from '../../helpers/engine.js';

/** Two incidents in triage: INC-1 (fraud-scorer), INC-2 (churn-predictor). */
async function twoInTriage() {
  const deps = makeDeps();
  await ingestAlerts(deps, [
    firing('fraud-scorer', deps.clock.now()),
    firing('churn-predictor', deps.clock.now()),
  ]);
  return deps;
}

const ticked = (deps: ReturnType<typeof makeDeps>) =>
  deps.notifier.ofType('incident.tick').map((event) => [event.incident.id, event.channel]);

describe('message ticks', () => {
  it('redraws each open incident with a running stage once a minute, across replicas', async () => {
    const deps = await twoInTriage();
    const replica = makeDeps({ store: deps.store, clock: deps.clock });

    expect(await tickOpenIncidents(deps)).toBe(2);
    expect(ticked(deps).sort()).toEqual([
      ['INC-1', 'C0TEST0001'],
      ['INC-2', 'C0TEST0001'],
    ]);
    // The other replica, and this one again, within the minute: already done.
    expect(await tickOpenIncidents(replica)).toBe(0);
    expect(await tickOpenIncidents(deps)).toBe(0);
    deps.clock.advance(MESSAGE_TICK_MS - 10_000);
    expect(await tickOpenIncidents(replica)).toBe(0);

    deps.clock.advance(10_000);
    expect(await tickOpenIncidents(replica)).toBe(2);
    expect(await tickOpenIncidents(deps)).toBe(0);
    expect(ticked(deps)).toHaveLength(2);
    expect(ticked(replica)).toHaveLength(2);
  });

  it('leaves incidents alone once they are closed', async () => {
    const deps = await twoInTriage();
    await mutateIncident(deps.store, 'INC-1', (incident) =>
      decide(incident, {
        kind: 'not-rollback',
        by: 'U1',
        at: deps.clock.now(),
        reason: 'known upstream blip',
        trigger: 'cli',
      }),
    );
    expect(await tickOpenIncidents(deps)).toBe(1);
    expect(ticked(deps)).toEqual([['INC-2', 'C0TEST0001']]);
  });

  it('ticks in the background until stopped', async () => {
    const deps = await twoInTriage();
    const ticker = startMessageTicker(deps, 5);
    await eventually(async () => (ticked(deps).length === 2 ? true : undefined), 2_000, 'two ticks');
    await ticker.stop();
    deps.clock.advance(MESSAGE_TICK_MS);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(ticked(deps)).toHaveLength(2);
  });
});
