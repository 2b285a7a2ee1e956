/**
 * Valid incidents for tests, built with core's openIncident so that they are shaped exactly as the engine
 * shapes them. Override only what a test is about.
 */
import { decide, openIncident, type Incident, type NewIncident } from '../../src/core/incident.js';
import type { AlertRef } from '../../src/core/alert-ref.js';
import { beginRollback, type RollbackStart } from '../../src/core/rollback.js';
import type { Targets } from '../../src/core/stages.js';

/** 2023-11-14T22:13:20Z: a fixed, readable epoch for tests. */
export const T0 = 1_700_000_000_000;

const MINUTE = 60_000;

/** Stage targets of a typical runbook. */
export const TEST_TARGETS: Targets = {
  detect: 5 * MINUTE,
  triage: 10 * MINUTE,
  rollback: 15 * MINUTE,
  confirm: 30 * MINUTE,
  retro: 5 * 24 * 60 * MINUTE,
};

let made = 0;

export interface MakeIncidentOptions extends Partial<Omit<NewIncident, 'alert'>> {
  /** When rollbot received the opening alert, which is the incident's openedAt (default T0). */
  at?: number;
  alert?: Partial<AlertRef>;
}

/** An alert reference received at `at` that started a minute before. */
export function makeAlertRef(at = T0, overrides: Partial<AlertRef> = {}): AlertRef {
  const fingerprint = overrides.fingerprint ?? 'fp-accuracy-drop';
  const startsAt = overrides.startsAt ?? at - MINUTE;
  return {
    key: `alertmanager:${fingerprint}:${startsAt}`,
    source: 'alertmanager',
    fingerprint,
    name: 'ModelAccuracyDrop',
    startsAt,
    receivedAt: at,
    ...overrides,
  };
}

/**
 * A fresh incident in triage (model `fraud-scorer` unless given), with an id unique in this test process
 * (`INC-T1`, `INC-T2`, …) unless one is given; pass an id from `store.nextIncidentId()` where it matters.
 */
export function makeIncident(options: MakeIncidentOptions = {}): Incident {
  const { at = T0, alert, ...overrides } = options;
  const model = overrides.model ?? 'fraud-scorer';
  made += 1;
  return openIncident({
    id: `INC-T${made}`,
    model,
    severity: 2,
    drill: false,
    summary: `${model} accuracy dropped below 0.92`,
    labels: { model, severity: 'warning' },
    targets: TEST_TARGETS,
    alert: makeAlertRef(at, alert),
    ...overrides,
  });
}

/** The incident decided "not a rollback" (dismissed), which takes it out of the open phases. */
export function dismiss(incident: Incident, at = incident.openedAt + MINUTE): Incident {
  return decide(incident, {
    kind: 'not-rollback',
    by: 'U0TEST',
    at,
    reason: 'noisy alert',
    trigger: 'slack',
  });
}

/**
 * The incident with a rollback v42 → v41 executing since `at`, by the on-call from Slack unless `start` says
 * otherwise: as a bot that died mid-rollback leaves it.
 */
export function executingRollback(
  incident: Incident,
  at: number,
  start: Partial<Omit<RollbackStart, 'plan' | 'at'>> = {},
): Incident {
  return beginRollback(incident, {
    plan: { from: 'v42', to: 'v41', regime: 'traffic-flip', etaMs: 30_000, actions: [], data: {} },
    target: 'fake ml-prod/model',
    by: 'U0ONCALL',
    trigger: 'slack',
    reason: 'errors',
    ...start,
    at,
  });
}
