import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isRollbotError, type RollbotError } from '../../../src/core/errors.js';
import { ALERT_PARSERS, parseGrafana } from '../../../src/alerts/index.js';

async function fixture(url: URL): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(url, 'utf8')) as Record<string, unknown>;
}

const grafanaFiring = new URL('../../fixtures/grafana/firing.json', import.meta.url);
const alertmanagerFiring = new URL('../../../../shared/fixtures/alertmanager/firing.json', import.meta.url);

/** The BAD_REQUEST error `parse` throws; fails the test when it returns instead. */
function badRequest(parse: () => unknown): RollbotError {
  try {
    parse();
  } catch (error) {
    expect(isRollbotError(error, 'BAD_REQUEST')).toBe(true);
    return error as RollbotError;
  }
  return expect.unreachable('expected a BAD_REQUEST error');
}

function paths(error: RollbotError): string[] {
  return (error.details as { path: string }[]).map((detail) => detail.path);
}

/** The fixture with its alerts list replaced, or one field of its first alert changed. */
async function withFirstAlert(
  change: (alert: Record<string, unknown>) => void,
): Promise<Record<string, unknown>> {
  const body = await fixture(grafanaFiring);
  const first = (body.alerts as Record<string, unknown>[])[0];
  if (first) change(first);
  return body;
}

describe('parseGrafana: §13 payload', () => {
  it('normalizes both alerts field by field and drops Grafana-only fields', async () => {
    expect(parseGrafana(await fixture(grafanaFiring))).toStrictEqual([
      {
        source: 'grafana',
        status: 'firing',
        fingerprint: '8c1e7a2b4f6d9035',
        name: 'ModelLatencyHigh',
        labels: {
          alertname: 'ModelLatencyHigh',
          grafana_folder: 'ML serving',
          model: 'fraud-scorer',
          severity: 'warning',
        },
        annotations: {
          summary: 'fraud-scorer p99 latency above 250ms',
          runbook_url: 'https://example.invalid/runbooks/fraud-scorer',
        },
        summary: 'fraud-scorer p99 latency above 250ms',
        startsAt: 1_795_313_400_000, // 2026-11-22T02:10:00Z; endsAt was the zero time
        generatorURL: 'http://grafana.example:3000/alerting/grafana/bf3k9e2x/view?orgId=1',
      },
      {
        source: 'grafana',
        status: 'resolved',
        fingerprint: '1f4b9c0d7e2a6583',
        name: 'ModelDriftDetected',
        labels: {
          alertname: 'ModelDriftDetected',
          grafana_folder: 'ML serving',
          model: 'churn-predictor',
          severity: 'info',
        },
        annotations: { description: 'churn-predictor feature drift (PSI) back under 0.2' },
        summary: 'churn-predictor feature drift (PSI) back under 0.2',
        startsAt: 1_795_312_500_000, // 2026-11-22T01:55:00Z
        endsAt: 1_795_313_370_250, // 2026-11-22T03:09:30.250+01:00 = 02:09:30.250Z
        generatorURL: 'http://grafana.example:3000/alerting/grafana/c9d2m4q7/view?orgId=1',
      },
    ]);
  });

  it('is the grafana entry of ALERT_PARSERS', async () => {
    const body = await fixture(grafanaFiring);
    expect(ALERT_PARSERS.grafana).toBe(parseGrafana);
    expect(ALERT_PARSERS.grafana(body)).toHaveLength(2);
  });

  it('takes a minimal body of only version and alerts', async () => {
    const full = await fixture(grafanaFiring);
    const alerts = parseGrafana({ version: '1', alerts: full.alerts });
    expect(alerts.map((a) => a.name)).toEqual(['ModelLatencyHigh', 'ModelDriftDetected']);
  });
});

describe('parseGrafana: bad input', () => {
  it.each(['status', 'labels', 'startsAt'])('refuses an alert without %s', async (field) => {
    const body = await withFirstAlert((alert) => delete alert[field]);
    const error = badRequest(() => parseGrafana(body));
    expect(error.message).toContain(`alerts[0].${field}: missing`);
    expect(paths(error)).toEqual([`alerts[0].${field}`]);
  });

  it('gives an alert without a fingerprint one from its labels, rather than refuse the notification', async () => {
    const body = await withFirstAlert((alert) => delete alert.fingerprint);
    const [alert] = parseGrafana(body);
    expect(alert?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(parseGrafana(await withFirstAlert((again) => delete again.fingerprint))[0]?.fingerprint).toBe(
      alert?.fingerprint,
    );
  });

  it('says which timestamp is wrong', async () => {
    const body = await withFirstAlert((alert) => (alert.endsAt = '22/11/2026 02:10'));
    const error = badRequest(() => parseGrafana(body));
    expect(error.message).toBe(
      'invalid Grafana webhook body: alerts[0].endsAt: expected an RFC3339 timestamp like ' +
        '"2026-11-22T01:42:04Z", got "22/11/2026 02:10"',
    );
  });

  it('refuses wrong types with their paths', async () => {
    const body = await withFirstAlert((alert) => {
      alert.status = 'alerting';
      alert.labels = { model: null };
    });
    const error = badRequest(() => parseGrafana(body));
    expect(error.details).toEqual([
      { path: 'alerts[0].status', message: 'expected "firing" or "resolved", got "alerting"' },
      { path: 'alerts[0].labels.model', message: 'expected a string value, got null' },
    ]);
  });

  it('refuses a wrong version and says to drop the custom payload', async () => {
    const body = { ...(await fixture(grafanaFiring)), version: '2' };
    const error = badRequest(() => parseGrafana(body));
    expect(error.message).toContain('version: expected "1", got "2"');
    expect(error.message).toContain('not a custom payload template');
    expect(paths(error)).toEqual(['version']);
  });

  it('points an Alertmanager body at the Alertmanager route', async () => {
    const body = await fixture(alertmanagerFiring);
    const refused = badRequest(() => parseGrafana(body));
    expect(refused.message).toContain('version: expected "1", got "4"');
    expect(refused.message).toContain('send it to /alerts/alertmanager');
  });

  it('points a generic alert at /alerts, instead of saying to unset the custom payload', () => {
    const error = badRequest(() =>
      parseGrafana([{ model: 'fraud-scorer', severity: 'critical', summary: 'x' }]),
    );
    expect(error.message).toBe(
      'invalid Grafana webhook body: (body): this looks like a generic alert ({"model", "severity", "summary"}), ' +
        'not a Grafana webhook body; send it to /alerts',
    );
    expect(error.hint).toBe('POST generic alerts to /alerts; /alerts/grafana takes a Grafana webhook body');
  });

  it('refuses a custom-template body, naming both missing fields', () => {
    const error = badRequest(() => parseGrafana({ text: 'ModelLatencyHigh is firing' }));
    expect(paths(error)).toEqual(['version', 'alerts']);
    expect(error.message).toContain('version: missing: expected "1"');
  });

  it.each([
    ['null', null, 'got null'],
    ['an array', [], 'got an array'],
    ['a string', 'firing', 'got "firing"'],
  ])('refuses a body that is %s', (_, input, message) => {
    const error = badRequest(() => parseGrafana(input));
    expect(error.message).toContain(`(body): expected a JSON object (the Grafana webhook body), ${message}`);
  });

  it('refuses more than 1000 alerts', async () => {
    const full = await fixture(grafanaFiring);
    const first = (full.alerts as unknown[])[0];
    const error = badRequest(() =>
      parseGrafana({ version: '1', alerts: Array.from({ length: 1001 }, () => first) }),
    );
    expect(error.message).toContain('too many alerts: 1001 in one body, rollbot accepts at most 1000');
    expect(paths(error)).toEqual(['alerts']);
  });
});
