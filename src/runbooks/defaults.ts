import type { Stage } from '../core/stages.js';

export type Tier = 1 | 2 | 3;
export type RollbackPolicy = 'auto' | 'approve' | 'two-person';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Every rollback gets its blameless retrospective within 48 hours, whatever the tier: the lessons are due before
 * the next deployment attempt, and a low-risk model deploys as often as any other.
 */
const RETRO_DUE = 48 * HOUR;

/**
 * What a runbook gets when it does not say: tier 1 (high risk) gets the DESIGN targets and automatic
 * rollback on a breached threshold; lower tiers get more time for the incident's stages and ask a person first.
 */
export const TIER_DEFAULTS: Record<Tier, { targets: Record<Stage, number>; policy: RollbackPolicy }> = {
  1: {
    targets: {
      detect: 5 * MINUTE,
      triage: 10 * MINUTE,
      rollback: 5 * MINUTE,
      confirm: 15 * MINUTE,
      retro: RETRO_DUE,
    },
    policy: 'auto',
  },
  2: {
    targets: {
      detect: 5 * MINUTE,
      triage: 15 * MINUTE,
      rollback: 10 * MINUTE,
      confirm: 20 * MINUTE,
      retro: RETRO_DUE,
    },
    policy: 'approve',
  },
  3: {
    targets: {
      detect: 10 * MINUTE,
      triage: 30 * MINUTE,
      rollback: 15 * MINUTE,
      confirm: 30 * MINUTE,
      retro: RETRO_DUE,
    },
    policy: 'approve',
  },
};
