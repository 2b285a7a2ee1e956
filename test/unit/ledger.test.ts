import { describe, expect, it } from 'vitest';
import { lastKnownGood, presumedCurrent, type Deployment } from '../../src/core/ledger.js';

const d = (version: string, extra: Partial<Deployment> = {}): Deployment => ({
  model: 'm',
  version,
  strategy: 'canary',
  at: 0,
  by: 'api',
  ...extra,
});

describe('lastKnownGood', () => {
  it('is the newest other version that was never rolled back', () => {
    expect(lastKnownGood([d('v42'), d('v41'), d('v40')], 'v42')).toBe('v41');
    expect(lastKnownGood([d('v42'), d('v41', { rolledBackAt: 5 }), d('v40')], 'v42')).toBe('v40');
    expect(lastKnownGood([d('v42'), d('v42'), d('v41')], 'v42')).toBe('v41');
  });

  it('skips a rolled-back version even where another deployment of it is unmarked', () => {
    expect(lastKnownGood([d('v43'), d('v41', { rolledBackAt: 1 }), d('v41'), d('v40')], 'v43')).toBe('v40');
  });

  it('counts a version rolled back from as good again once CI deployed it again, not once merely observed', () => {
    const marked = { rolledBackAt: 3, incidentId: 'INC-1' };
    const ledger = [d('v42', { at: 5, ...marked }), d('v42', { at: 2, ...marked }), d('v41', { at: 1 })];
    expect(lastKnownGood([d('v43', { at: 6 }), ...ledger], 'v43')).toBe('v42');
    expect(presumedCurrent(ledger)).toBe('v42');
    const observed = [d('v42', { at: 5, strategy: 'observed', ...marked }), ...ledger.slice(1)];
    expect(lastKnownGood([d('v43', { at: 6 }), ...observed], 'v43')).toBe('v41');
  });

  it('never names a version that only ever had part of the traffic: a canary that was never promoted', () => {
    // v43's canary was aborted at 10 % by the layer itself (no rollbot mark): v42 serves, v41 is before it.
    expect(lastKnownGood([d('v43', { traffic: 10 }), d('v42'), d('v41')], 'v42')).toBe('v41');
    expect(
      lastKnownGood(
        [d('v43', { traffic: 25 }), d('v43', { traffic: 10 }), d('v42', { previousVersion: 'v41' })],
        'v42',
      ),
    ).toBe('v41');
    // Promoted: its 100 % step (or a record without a share) is a full rollout, so it can be the known-good.
    expect(lastKnownGood([d('v44'), d('v43', { traffic: 100 }), d('v43', { traffic: 10 })], 'v44')).toBe(
      'v43',
    );
  });

  it('counts a version rolled back from as good again only once it took all the traffic again', () => {
    // v42 was rolled back at 3; CI sends it out again as a 10 % canary at 5 (which lifts the mark).
    const marked = { rolledBackAt: 3, incidentId: 'INC-1' };
    const ledger = [
      d('v42', { at: 5, traffic: 10, ...marked }),
      d('v42', { at: 2, ...marked }),
      d('v41', { at: 1 }),
    ];
    expect(lastKnownGood([d('v43', { at: 6 }), ...ledger], 'v43')).toBe('v41');
    const promoted = [d('v42', { at: 5.5, traffic: 100, ...marked }), ...ledger];
    expect(lastKnownGood([d('v43', { at: 6 }), ...promoted], 'v43')).toBe('v42');
  });

  it('falls back to the previous version CI recorded, unless that was rolled back', () => {
    expect(lastKnownGood([d('v42', { previousVersion: 'v41' })], 'v42')).toBe('v41');
    expect(
      lastKnownGood([d('v42', { previousVersion: 'v41' }), d('v41', { rolledBackAt: 1 })], 'v42'),
    ).toBeUndefined();
    expect(lastKnownGood([], 'v42')).toBeUndefined();
  });

  it('never names the serving version itself, whatever previousVersion says', () => {
    expect(lastKnownGood([d('v42', { previousVersion: 'v42' })], 'v42')).toBeUndefined();
    expect(lastKnownGood([d('v42', { previousVersion: 'v42' })], undefined)).toBeUndefined();
  });

  it('presumes the newest deployment not rolled back is current when the layer cannot say', () => {
    expect(lastKnownGood([d('v42'), d('v41')], undefined)).toBe('v41');
    expect(lastKnownGood([d('v42', { previousVersion: 'v41' })], undefined)).toBe('v41');
    // After the rollback from v42, v41 is presumed current: nothing older is known, and v42 is not good.
    expect(lastKnownGood([d('v42', { rolledBackAt: 5 }), d('v41')], undefined)).toBeUndefined();
    expect(lastKnownGood([d('v42')], undefined)).toBeUndefined();
  });
});

describe('presumedCurrent', () => {
  it('is the newest deployment not rolled back since', () => {
    expect(presumedCurrent([d('v42'), d('v41')])).toBe('v42');
    expect(presumedCurrent([d('v42', { rolledBackAt: 5 }), d('v41')])).toBe('v41');
    expect(presumedCurrent([])).toBeUndefined();
  });
});
