/**
 * An escalation's page is a resolve of its stage's earlier page ("superseded", so that the provider opens a new
 * alert, which rings) and then its trigger. A resolve that fails for good does not undo the trigger that went
 * out: the record says the escalation went out, and that the earlier page is left for a person to resolve.
 */
import { describe, expect, it } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { pollDeadlines } from '../../../src/engine/poller.js';
import type { Page, Pager } from '../../../src/paging/types.js';
import { firing } from '../../helpers/alerts.js';
import { pagingThrough } from '../../helpers/paging.js';
import { makeDeps } from '../../helpers/engine.js';

const MINUTE = 60_000;

describe('an escalation whose "superseded" resolve fails for good', () => {
  it('is recorded as escalated, saying that the earlier page could not be resolved', async () => {
    const deps = makeDeps();
    const sent: Page[] = [];
    // The provider refuses the resolve (not retried) and takes the trigger.
    const pager: Pager = {
      send: async (page) => {
        if (page.action === 'resolve') throw new RollbotError('BAD_REQUEST', 'PagerDuty 400: invalid event');
        sent.push(page);
      },
    };
    const engine = pagingThrough(deps, pager);
    await ingestAlerts(engine, [firing('fraud-scorer', deps.clock.now())]);
    expect(await pollDeadlines(engine)).toBe(1);

    deps.clock.advance(10 * MINUTE);
    expect(await pollDeadlines(engine)).toBe(1);
    expect(sent.filter((page) => page.dedupKey === 'rollbot-INC-1-triage')).toMatchObject([
      { action: 'trigger' },
    ]);
    const breaches = (await deps.store.list('INC-1')).filter((entry) => entry.type === 'stage.breached');
    expect(breaches).toMatchObject([{ data: { stage: 'triage', delivered: true } }]);
    const text = breaches[0]?.text ?? '';
    expect(text).toContain('escalated to S0PLATFORM');
    expect(text).not.toContain('could not be delivered');
    expect(text).toContain('rollbot-INC-1-triage could not be resolved');
  });
});
