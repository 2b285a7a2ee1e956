import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import { declareIncident } from '../../../src/engine/declare.js';
import { ingestAlerts } from '../../../src/engine/intake.js';
import { firing } from '../../helpers/alerts.js';
import { makeDeps, makeRunbook } from '../../helpers/engine.js';

/**
 * A person declares an incident (a customer report before any alert fired): it opens as an alert would — triage,
 * clocks, timeline, message, paging by its severity — or joins the model's open incident, raising its severity.
 */

const declare = (
  deps: ReturnType<typeof makeDeps>,
  severity: 1 | 2 | 3 | 4,
  summary = 'customers report wrong scores',
) => declareIncident(deps, { model: 'fraud-scorer', severity, summary, by: 'U0ANA' });

describe('declareIncident', () => {
  it('opens an incident in triage at the severity declared, its detection skipped, saying who declared it', async () => {
    const deps = makeDeps();
    const now = deps.clock.now();
    expect(await declare(deps, 2)).toEqual({ outcome: 'opened', incidentId: 'INC-1', severity: 2 });

    const incident = await deps.store.getIncident('INC-1');
    expect(incident).toMatchObject({
      model: 'fraud-scorer',
      phase: 'triage',
      severity: 2,
      summary: 'customers report wrong scores',
      labels: { model: 'fraud-scorer', declared_by: 'U0ANA' },
    });
    // Nobody knows when the degradation began: no detection of 0 s met (skipped-stages.test.ts).
    expect(incident?.stages.detect).toEqual({
      startedAt: now,
      endedAt: now,
      skipped: 'declared by U0ANA, so when it began is unknown',
    });
    expect((await deps.store.pending()).map((deadline) => deadline.kind)).toContain('triage-run');
    expect(deps.notifier.ofType('incident.opened')).toHaveLength(1);
    expect(incident?.alerts[0]).toMatchObject({ name: 'declared by U0ANA', source: 'generic' });
  });

  it('takes the severity declared whatever the runbook maps labels to', async () => {
    // This runbook maps only "page" (SEV-1) and "ticket" (SEV-3): SEV-2 is not a label value it knows.
    const deps = makeDeps({
      runbooks: [
        makeRunbook('fraud-scorer', 'severity: { label: urgency, map: { page: 1, ticket: 3 }, default: 4 }'),
      ],
    });
    await declare(deps, 2);
    expect((await deps.store.getIncident('INC-1'))?.severity).toBe(2);
  });

  it("joins the model's open incident, raising its severity, rather than opening a second one", async () => {
    const deps = makeDeps({
      runbooks: [
        makeRunbook('fraud-scorer', 'severity: { label: severity, map: { warning: 3 }, default: 3 }'),
      ],
    });
    await ingestAlerts(deps, [
      firing('fraud-scorer', deps.clock.now(), {
        labels: { alertname: 'ModelErrorRateHigh', model: 'fraud-scorer', severity: 'warning' },
      }),
    ]);
    expect((await deps.store.getIncident('INC-1'))?.severity).toBe(3);

    expect(await declare(deps, 1, 'it is worse than the alert says: every score is 0')).toEqual({
      outcome: 'attached',
      incidentId: 'INC-1',
      severity: 1,
    });
    expect((await deps.store.listIncidents({})).map((incident) => incident.id)).toEqual(['INC-1']);
    expect((await deps.store.getIncident('INC-1'))?.severity).toBe(1);
    const raised = deps.notifier.ofType('incident.updated').find((event) => event.severityRaisedFrom === 3);
    expect(raised).toBeDefined();
  });

  it('refuses an unknown model or an empty summary, and opens nothing', async () => {
    const deps = makeDeps();
    const refused = async (work: Promise<unknown>) => {
      const error = await work.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      return isRollbotError(error) ? [error.code, error.message] : error;
    };
    expect(
      await refused(declareIncident(deps, { model: 'fraud-scorr', severity: 2, summary: 'x', by: 'U0ANA' })),
    ).toEqual(['UNKNOWN_MODEL', 'no runbook for model "fraud-scorr" (did you mean "fraud-scorer"?)']);
    expect(await refused(declare(deps, 2, '   '))).toEqual([
      'BAD_REQUEST',
      'say what is wrong: an incident needs a summary',
    ]);
    expect(await deps.store.listIncidents({})).toEqual([]);
  });
});
