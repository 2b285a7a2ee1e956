import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isRollbotError, type RollbotError } from '../../../src/core/errors.js';
import {
  ALERT_PARSERS,
  genericFingerprint,
  MAX_NAME_CHARS,
  MAX_SUMMARY_CHARS,
  parseGeneric,
} from '../../../src/alerts/index.js';

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

const minimal = { model: 'fraud-scorer', severity: 'critical', summary: 'error rate above 5%' };

/** The fingerprint of one parsed generic alert. */
function fingerprintOf(body: Record<string, unknown>): string | undefined {
  return parseGeneric(body)[0]?.fingerprint;
}

describe('parseGeneric: normalization', () => {
  it('normalizes a minimal alert: firing, model and severity as labels (and the severity as stated), a hashed fingerprint', () => {
    expect(parseGeneric(minimal)).toStrictEqual([
      {
        source: 'generic',
        status: 'firing',
        fingerprint: '2cdc8ba8e921a798',
        name: 'error rate above 5%',
        labels: { model: 'fraud-scorer', severity: 'critical' },
        severity: 'critical',
        annotations: { summary: 'error rate above 5%' },
        summary: 'error rate above 5%',
      },
    ]);
  });

  it('keeps a line of an oversized summary, and fingerprints the summary as sent', () => {
    const huge = `error rate above 5% ${'x'.repeat(500_000)}`;
    const [only] = parseGeneric({ ...minimal, summary: huge });
    expect(only?.summary).toHaveLength(MAX_SUMMARY_CHARS);
    expect(only?.name).toHaveLength(MAX_NAME_CHARS);
    expect(only?.fingerprint).toBe(fingerprintOf({ ...minimal, summary: huge }));
    expect(only?.fingerprint).not.toBe(fingerprintOf({ ...minimal, summary: only?.summary }));
  });

  it('hashes model, sorted labels and summary with SHA-256 (first 16 hex digits)', () => {
    const expected = createHash('sha256')
      .update(
        JSON.stringify([
          'fraud-scorer',
          [
            ['model', 'fraud-scorer'],
            ['severity', 'critical'],
          ],
          'error rate above 5%',
        ]),
      )
      .digest('hex')
      .slice(0, 16);
    expect(fingerprintOf(minimal)).toBe(expected);
    expect(expected).toBe('2cdc8ba8e921a798');
  });

  it('normalizes every optional field', () => {
    const [only] = parseGeneric({
      ...minimal,
      startsAt: '2026-11-22T01:42:04.443Z',
      labels: { alertname: 'FraudErrors', region: 'eu-west-1' },
      status: 'resolved',
      fingerprint: 'my-own-id',
    });
    expect(only).toStrictEqual({
      source: 'generic',
      status: 'resolved',
      fingerprint: 'my-own-id',
      name: 'FraudErrors',
      labels: { alertname: 'FraudErrors', region: 'eu-west-1', model: 'fraud-scorer', severity: 'critical' },
      severity: 'critical',
      annotations: { summary: 'error rate above 5%' },
      summary: 'error rate above 5%',
      startsAt: 1_795_311_724_443,
    });
  });

  it('accepts labels that repeat model and severity with the same values', () => {
    const [only] = parseGeneric({ ...minimal, labels: { model: 'fraud-scorer', severity: 'critical' } });
    expect(only?.labels).toEqual({ model: 'fraud-scorer', severity: 'critical' });
    expect(only?.fingerprint).toBe('2cdc8ba8e921a798');
  });

  it('is the generic entry of ALERT_PARSERS', () => {
    expect(ALERT_PARSERS.generic).toBe(parseGeneric);
  });
});

describe('parseGeneric: fingerprints', () => {
  it('is stable across calls and label order, and across firing and resolved', () => {
    const a = fingerprintOf({ ...minimal, labels: { region: 'eu', team: 'ml' } });
    const b = fingerprintOf({ ...minimal, labels: { team: 'ml', region: 'eu' } });
    const resolved = fingerprintOf({
      ...minimal,
      labels: { region: 'eu', team: 'ml' },
      status: 'resolved',
      startsAt: '2026-11-22T01:42:04Z',
    });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toBe(a);
    expect(resolved).toBe(a);
  });

  it('differs for different labels, models, severities and summaries', () => {
    const prints = [
      fingerprintOf({ ...minimal, labels: { region: 'eu' } }),
      fingerprintOf({ ...minimal, labels: { region: 'us' } }),
      fingerprintOf({ ...minimal, labels: { zone: 'eu' } }),
      fingerprintOf(minimal),
      fingerprintOf({ ...minimal, model: 'churn-predictor' }),
      fingerprintOf({ ...minimal, severity: 'warning' }),
      fingerprintOf({ ...minimal, summary: 'error rate above 10%' }),
    ];
    expect(new Set(prints).size).toBe(prints.length);
  });

  it('cannot be collided by moving text between parts', () => {
    expect(genericFingerprint('a', { b: 'c' }, 'd')).not.toBe(genericFingerprint('a', { b: 'c", "d' }, ''));
    expect(genericFingerprint('ab', {}, 'c')).not.toBe(genericFingerprint('a', {}, 'bc'));
  });
});

describe('parseGeneric: arrays', () => {
  it('parses an array of alerts in order', () => {
    const alerts = parseGeneric([minimal, { ...minimal, model: 'churn-predictor', status: 'resolved' }]);
    expect(alerts.map((a) => [a.labels.model, a.status])).toEqual([
      ['fraud-scorer', 'firing'],
      ['churn-predictor', 'resolved'],
    ]);
  });

  it('returns [] for an empty array', () => {
    expect(parseGeneric([])).toEqual([]);
  });

  it('names the element and field that are wrong, and returns nothing', () => {
    const error = badRequest(() => parseGeneric([minimal, { ...minimal, startsAt: 'soon' }, 7]));
    expect(paths(error)).toEqual(['[1].startsAt', '[2]']);
    expect(error.message).toContain('[1].startsAt: expected an RFC3339 timestamp');
    expect(error.message).toContain('[2]: expected an alert object');
  });

  it('refuses more than 1000 alerts', () => {
    const error = badRequest(() => parseGeneric(Array.from({ length: 1001 }, () => minimal)));
    expect(error.message).toContain('too many alerts: 1001 in one body, rollbot accepts at most 1000');
    expect(paths(error)).toEqual(['(body)']);
    expect(parseGeneric(Array.from({ length: 1000 }, () => minimal))).toHaveLength(1000);
  });
});

describe('parseGeneric: bad input', () => {
  it('names an unknown key and suggests the right one', () => {
    const { summary, ...rest } = minimal;
    const error = badRequest(() => parseGeneric({ ...rest, sumary: summary }));
    expect(error.message).toBe(
      'invalid alert: summary: missing: expected a non-empty string; ' +
        'sumary: unknown field "sumary" (did you mean "summary"?)',
    );
    expect(error.details).toEqual([
      { path: 'summary', message: 'missing: expected a non-empty string' },
      { path: 'sumary', message: 'unknown field "sumary" (did you mean "summary"?)' },
    ]);
  });

  it('names every unknown key, inside arrays too, and lists the allowed ones when nothing is close', () => {
    const error = badRequest(() => parseGeneric([minimal, { ...minimal, lables: {}, runbook: 'x' }]));
    expect(paths(error)).toEqual(['[1].lables', '[1].runbook']);
    expect(error.message).toContain('[1].lables: unknown field "lables" (did you mean "labels"?)');
    expect(error.message).toContain(
      '[1].runbook: unknown field "runbook" (remove it; allowed fields: model, severity, summary, startsAt, ' +
        'labels, status, fingerprint)',
    );
  });

  it.each(['model', 'severity', 'summary'])('refuses an alert without %s, or with it empty', (field) => {
    const without: Record<string, unknown> = { ...minimal };
    delete without[field];
    expect(badRequest(() => parseGeneric(without)).message).toBe(
      `invalid alert: ${field}: missing: expected a non-empty string`,
    );
    expect(badRequest(() => parseGeneric({ ...minimal, [field]: '  ' })).message).toBe(
      `invalid alert: ${field}: must not be empty`,
    );
  });

  it.each([
    ['a numeric model', { model: 7 }, 'model', 'expected a non-empty string, got 7'],
    ['an unknown status', { status: 'open' }, 'status', 'expected "firing" or "resolved", got "open"'],
    ['a number label', { labels: { replicas: 3 } }, 'labels.replicas', 'expected a string value, got 3'],
    [
      'labels as a string',
      { labels: 'a=b' },
      'labels',
      'expected a JSON object of string values, like {"model": "fraud-scorer"}, got "a=b"',
    ],
    ['a bad startsAt', { startsAt: '2026-11-22 01:42' }, 'startsAt', 'expected an RFC3339 timestamp'],
    ['an empty fingerprint', { fingerprint: '' }, 'fingerprint', 'must not be empty'],
  ])('refuses %s', (_, overrides, path, message) => {
    const error = badRequest(() => parseGeneric({ ...minimal, ...overrides }));
    expect(error.message).toContain(`${path}: ${message}`);
    expect(paths(error)).toEqual([path]);
  });

  it('refuses labels.model that disagrees with model instead of overwriting it', () => {
    const error = badRequest(() => parseGeneric({ ...minimal, labels: { model: 'churn-predictor' } }));
    expect(error.details).toEqual([
      {
        path: 'labels.model',
        message:
          '"churn-predictor" conflicts with model "fraud-scorer": drop it from labels (model is set as a label)',
      },
    ]);
  });

  it.each([
    ['null', null, 'got null'],
    ['a string', 'error rate above 5%', 'got "error rate above 5%"'],
    ['a number', 5, 'got 5'],
  ])('refuses a body that is %s', (_, input, message) => {
    const error = badRequest(() => parseGeneric(input));
    expect(error.message).toContain(`(body): expected an alert object like`);
    expect(error.message).toContain(message);
    expect(error.hint).toContain('"model"');
  });
});

describe('parseGeneric: a webhook body sent to /alerts', () => {
  const webhook = (version: string) => ({
    receiver: 'rollbot',
    status: 'firing',
    alerts: [{ status: 'firing', labels: { model: 'fraud-scorer' }, fingerprint: 'f', startsAt: 'x' }],
    groupLabels: {},
    version,
  });

  it.each([
    ['an Alertmanager', '4', '/alerts/alertmanager'],
    ['a Grafana', '1', '/alerts/grafana'],
  ])('says that %s webhook body belongs on its own route, as one problem', (_, version, route) => {
    const error = badRequest(() => parseGeneric(webhook(version)));
    expect(paths(error)).toEqual(['(body)']);
    expect(error.message).toContain(`send it to ${route}`);
    expect(error.hint).toContain(route);
  });

  it.each(['2', 'constructor'])(
    'names both webhook routes for a body with an alerts list of version "%s"',
    (version) => {
      const error = badRequest(() => parseGeneric(webhook(version)));
      expect(paths(error)).toEqual(['(body)']);
      expect(error.message).toContain('/alerts/alertmanager');
      expect(error.message).toContain('/alerts/grafana');
    },
  );
});
