import { describe, expect, it } from 'vitest';
import { gateLine } from '../../src/cli/rollback.js';

const T = Date.parse('2026-11-22T02:00:00Z');

describe('gateLine', () => {
  it('says closed with the reasons, approval required with who may approve and how, or open', () => {
    expect(gateLine({ model: 'm', allowed: false, status: 'closed', reasons: ['open incident INC-1'] })).toBe(
      'gate: closed — open incident INC-1',
    );
    const approval = {
      reasons: ['tier-1 model: every deployment needs an approval'],
      approvers: ['U0LEAD'],
      how: 'POST /api/gate/m/approve',
      askedFor: 'deployment:none',
    };
    expect(gateLine({ model: 'm', allowed: false, status: 'approval required', reasons: [], approval })).toBe(
      'gate: approval required — tier-1 model: every deployment needs an approval; U0LEAD may approve via POST /api/gate/m/approve',
    );
    const outdated = {
      by: 'U0LEAD',
      at: T,
      reason: 'ok',
      askedFor: 'deployment:1',
      why: 'the approval by U0LEAD (2026-11-22T02:00:00.000Z) was for an earlier deployment, the deployment after the one recorded 1970-01-01T00:00:00.001Z, not the one waiting now: approve this one',
    };
    expect(
      gateLine({
        model: 'm',
        allowed: false,
        status: 'approval required',
        reasons: [],
        approval: { ...approval, outdated },
      }),
    ).toBe(
      'gate: approval required — tier-1 model: every deployment needs an approval; U0LEAD may approve via POST /api/gate/m/approve; the approval by U0LEAD (2026-11-22T02:00:00.000Z) was for an earlier deployment, the deployment after the one recorded 1970-01-01T00:00:00.001Z, not the one waiting now: approve this one',
    );
    const watch = { version: 'v2', previousVersion: 'v1', since: T, until: T + 3_600_000 };
    expect(gateLine({ model: 'm', allowed: true, status: 'open', reasons: [], watch })).toBe(
      'gate: open (watching v2 until 2026-11-22T03:00:00.000Z)',
    );
  });

  it('says what holds an open gate open: an override despite the reasons it lists, an approval, until when', () => {
    const override = { by: 'U0LEAD', reason: 'hotfix for a fraud wave', at: T, until: T + 24 * 3_600_000 };
    const reasons = ['open retrospective action item A1 of INC-1 (@ana, due 2026-12-01): add a canary check'];
    expect(gateLine({ model: 'm', allowed: true, status: 'open', reasons, override })).toBe(
      'gate: open — overridden by U0LEAD until 2026-11-23T02:00:00.000Z (hotfix for a fraud wave) despite: open retrospective action item A1 of INC-1 (@ana, due 2026-12-01): add a canary check',
    );
    const approval = {
      reasons: ['tier-1 model: every deployment needs an approval'],
      approvers: ['U0LEAD'],
      how: 'POST /api/gate/m/approve',
      askedFor: 'deployment:none',
      approved: { by: 'U0LEAD', at: T, reason: 'ok', until: T + 3_600_000 },
    };
    expect(gateLine({ model: 'm', allowed: true, status: 'open', reasons: [], approval })).toBe(
      'gate: open — approved by U0LEAD until 2026-11-22T03:00:00.000Z (tier-1 model: every deployment needs an approval)',
    );
  });
});
