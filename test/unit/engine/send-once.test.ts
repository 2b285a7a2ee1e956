/**
 * Whether a message went out once is decided from its mark's entries only (Timeline.listOfTypes): an alert storm's
 * incident holds thousands of `alert.attached` entries, ~1.5 MB, which each escalation and reminder used to read
 * and parse whole on the event loop that acknowledges Slack.
 */
import { describe, expect, it, vi } from 'vitest';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import { sendOnce } from '../../../src/engine/send-once.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps } from '../../helpers/engine.js';

const MINUTE = 60_000;
const STORM = 300;

/** An incident of fraud-scorer joined by STORM alerts, one delivery each: each an `alert.attached` entry. */
async function stormIncident() {
  const deps = makeDeps();
  const now = deps.clock.now();
  await ingestAlerts(deps, [firing('fraud-scorer', now)]);
  const storm = Array.from({ length: STORM }, (_, n) =>
    firing('fraud-scorer', now, { fingerprint: `fp-${n}` }),
  );
  for (const alert of storm) await ingestAlerts(deps, [alert]);
  const attached = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'alert.attached');
  expect(attached).toHaveLength(STORM);
  return deps;
}

describe('sendOnce on an alert storm’s incident', () => {
  it('escalates a missed target without reading the whole timeline', async () => {
    const deps = await stormIncident();
    expect(await pollDeadlines(deps)).toBe(1);
    const list = vi.spyOn(deps.store, 'list');
    const ofTypes = vi.spyOn(deps.store, 'listOfTypes');

    deps.clock.advance(10 * MINUTE);
    expect(await pollDeadlines(deps)).toBe(1);
    expect(deps.notifier.ofType('escalation').map((event) => event.stage)).toEqual(['triage']);
    expect(ofTypes).toHaveBeenCalledWith('INC-1', ['stage.breached']);
    expect(list).not.toHaveBeenCalled();
  });

  it('finds its mark among the entries of its types, and sends no more', async () => {
    const deps = await stormIncident();
    const list = vi.spyOn(deps.store, 'list');
    const sent: string[] = [];
    /** The timeline entry a reminder of `round` leaves. */
    const reminded = (round: number) =>
      deps.store.append({
        incidentId: 'INC-1',
        at: deps.clock.now(),
        type: 'reminder.sent',
        actor: 'rollbot',
        text: 'reminded',
        data: { round },
      });
    const message = {
      lock: 'reminder:INC-1',
      markTypes: ['reminder.sent'],
      isMark: (entry: { data?: Record<string, unknown> }) => entry.data?.round === 2,
      send: async () => {
        sent.push('reminder');
        await reminded(2);
      },
      lookAgainAt: async () => undefined,
    };
    // An entry of its type that is not its mark (another round's) does not pass for it.
    await reminded(1);
    expect(await sendOnce(deps, 'INC-1', message)).toBe('sent');
    expect(await sendOnce(deps, 'INC-1', message)).toBe('was-sent');
    expect(sent).toEqual(['reminder']);
    expect(list).not.toHaveBeenCalled();
  });
});
