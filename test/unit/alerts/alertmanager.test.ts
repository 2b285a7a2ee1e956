import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isRollbotError, type RollbotError } from '../../../src/core/errors.js';
import {
  ALERT_PARSERS,
  MAX_ALERTS_PER_BODY,
  MAX_NAME_CHARS,
  MAX_SUMMARY_CHARS,
  parseAlertmanager,
  parseRfc3339,
} from '../../../src/alerts/index.js';
import { wireFiring as alert } from '../../helpers/alerts.js';

async function fixture(name: string): Promise<Record<string, unknown>> {
  const url = new URL(`../../../../shared/fixtures/alertmanager/${name}`, import.meta.url);
  return JSON.parse(await readFile(url, 'utf8')) as Record<string, unknown>;
}

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

function body(alerts: unknown[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: '4', status: 'firing', receiver: 'bot', alerts, ...overrides };
}

describe('parseAlertmanager: captured payloads', () => {
  it('normalizes the firing fixture field by field, with the zero endsAt left unset', async () => {
    const alerts = parseAlertmanager(await fixture('firing.json'));
    expect(alerts).toStrictEqual([
      {
        source: 'alertmanager',
        status: 'firing',
        fingerprint: 'd4525c3cd55ff927',
        name: 'ModelErrorRateHigh',
        labels: {
          alertname: 'ModelErrorRateHigh',
          model: 'fraud-scorer',
          namespace: 'ml-prod',
          severity: 'critical',
        },
        annotations: {
          runbook_url: 'https://example.invalid/runbooks/fraud-scorer',
          summary: 'fraud-scorer error rate above 5%',
        },
        summary: 'fraud-scorer error rate above 5%',
        startsAt: 1_795_311_724_443, // 2026-11-22T01:42:04.443Z
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=vector%280.12%29+%3E+0.05&g0.tab=1',
      },
    ]);
    expect(alerts[0]).not.toHaveProperty('endsAt');
  });

  it('normalizes the resolved fixture with its endsAt in epoch ms', async () => {
    const [resolved] = parseAlertmanager(await fixture('resolved.json'));
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.fingerprint).toBe('d4525c3cd55ff927');
    expect(resolved?.startsAt).toBe(1_795_311_724_443);
    expect(resolved?.endsAt).toBe(1_795_311_818_443); // 2026-11-22T01:43:38.443Z, 94 s later
    expect(resolved?.generatorURL).toBe(
      'http://prometheus.example:9090/graph?g0.expr=vector%280.01%29+%3E+0.05&g0.tab=1',
    );
  });

  it('is the alertmanager entry of ALERT_PARSERS', async () => {
    const firing = await fixture('firing.json');
    expect(ALERT_PARSERS.alertmanager).toBe(parseAlertmanager);
    expect(ALERT_PARSERS.alertmanager(firing)).toStrictEqual(parseAlertmanager(firing));
  });
});

describe('parseAlertmanager: normalization rules', () => {
  it('keeps alerts in order and ignores unknown envelope and alert fields', () => {
    const alerts = parseAlertmanager(
      body([alert({ fingerprint: 'aaa', futureField: { x: 1 } }), alert({ fingerprint: 'bbb' })], {
        notification_reason: 'first notification',
        routeLabels: { team: 'ml' },
        somethingNew: [1, 2, 3],
      }),
    );
    expect(alerts.map((a) => a.fingerprint)).toEqual(['aaa', 'bbb']);
    expect(alerts[0]).not.toHaveProperty('futureField');
  });

  it('names an alert without alertname by its summary', () => {
    const [only] = parseAlertmanager(body([alert({ labels: { model: 'm' } })]));
    expect(only?.name).toBe('fraud-scorer error rate above 5%');
    expect(only?.summary).toBe('fraud-scorer error rate above 5%');
  });

  it('keeps a line of an oversized summary, not the whole of it: it is stored on every write of the incident', () => {
    const huge = `errors are up ${'x'.repeat(500_000)}`;
    const [only] = parseAlertmanager(
      body([alert({ labels: { model: 'm' }, annotations: { summary: huge } })]),
    );
    expect(only?.summary).toHaveLength(MAX_SUMMARY_CHARS);
    expect(only?.summary).toMatch(/^errors are up x+…$/);
    expect(only?.name).toHaveLength(MAX_NAME_CHARS);
  });

  it('falls back from summary to description, then to the name', () => {
    const [described, bare] = parseAlertmanager(
      body([
        alert({ annotations: { description: 'errors are up' } }),
        alert({ annotations: { runbook_url: 'https://x.invalid' } }),
      ]),
    );
    expect(described?.summary).toBe('errors are up');
    expect(bare?.summary).toBe('ModelErrorRateHigh');
  });

  it('names an alert with neither alertname nor summary by its fingerprint', () => {
    const [only] = parseAlertmanager(body([alert({ labels: {}, annotations: {} })]));
    expect(only?.name).toBe('alert d4525c3cd55ff927');
    expect(only?.summary).toBe('alert d4525c3cd55ff927');
  });

  it('defaults missing or null annotations to {}', () => {
    const withoutAnnotations = alert();
    delete withoutAnnotations.annotations;
    const alerts = parseAlertmanager(body([withoutAnnotations, alert({ annotations: null })]));
    expect(alerts.map((a) => a.annotations)).toStrictEqual([{}, {}]);
  });

  it('leaves out an empty or missing generatorURL', () => {
    const withoutURL = alert();
    delete withoutURL.generatorURL;
    const alerts = parseAlertmanager(body([alert({ generatorURL: '' }), withoutURL]));
    expect(alerts[0]).not.toHaveProperty('generatorURL');
    expect(alerts[1]).not.toHaveProperty('generatorURL');
  });

  it('leaves out a missing endsAt and keeps a real one on a firing alert', () => {
    const withoutEnd = alert();
    delete withoutEnd.endsAt;
    const alerts = parseAlertmanager(body([withoutEnd, alert({ endsAt: '2026-11-22T01:46:04.443Z' })]));
    expect(alerts[0]).not.toHaveProperty('endsAt');
    expect(alerts[1]?.endsAt).toBe(1_795_311_964_443);
  });

  it('treats a zero startsAt as unknown onset rather than year 1', () => {
    const [only] = parseAlertmanager(body([alert({ startsAt: '0001-01-01T00:00:00Z' })]));
    expect(only).not.toHaveProperty('startsAt');
  });

  it.each([
    ['Unix time 0', '1970-01-01T00:00:00Z'],
    ["a day after Go's zero time", '0001-01-02T00:00:00Z'],
    ['the last second before 2000', '1999-12-31T23:59:59Z'],
  ])("treats a time before 2000 (%s) as not set, as a sender's unset value", (_, text) => {
    // Taken as the onset, it read "detected in 492,000h", escalated a missed detect target and put decades into
    // rollbot_stage_duration_seconds for good.
    const [only] = parseAlertmanager(body([alert({ startsAt: text, status: 'resolved', endsAt: text })]));
    expect(only).not.toHaveProperty('startsAt');
    expect(only).not.toHaveProperty('endsAt');
    const [kept] = parseAlertmanager(body([alert({ startsAt: '2000-01-01T00:00:00Z' })]));
    expect(kept?.startsAt).toBe(Date.UTC(2000, 0, 1));
  });

  it('reads offsets and nanosecond fractions (Go RFC3339Nano)', () => {
    const [only] = parseAlertmanager(body([alert({ startsAt: '2026-11-22T03:42:04.443123456+02:00' })]));
    expect(only?.startsAt).toBe(1_795_311_724_443);
  });

  it('returns [] for a body with no alerts', () => {
    expect(parseAlertmanager(body([]))).toEqual([]);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
  ])(
    'gives an alert whose fingerprint is %s one from its labels, as Alertmanager derives its own',
    (_, given) => {
      // An older Alertmanager, or a relay that drops the field: refused, the whole notification was lost,
      // as Alertmanager does not re-send a 400. The hash is of the label set alone, so the resolved notification
      // and every re-send of the alert carry the same one.
      const without = (overrides: Record<string, unknown>) => {
        const broken = alert(overrides);
        if (given === undefined) delete broken.fingerprint;
        else broken.fingerprint = given;
        return broken;
      };
      const labels = { alertname: 'ModelErrorRateHigh', model: 'fraud-scorer' };
      const [first, resolved, reordered, other] = parseAlertmanager(
        body([
          without({ labels }),
          without({ labels, status: 'resolved', endsAt: '2026-11-22T02:00:00Z', annotations: {} }),
          without({ labels: { model: 'fraud-scorer', alertname: 'ModelErrorRateHigh' } }),
          without({ labels: { ...labels, pod: 'a' } }),
        ]),
      );
      expect(first?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(resolved?.fingerprint).toBe(first?.fingerprint);
      expect(reordered?.fingerprint).toBe(first?.fingerprint);
      expect(other?.fingerprint).not.toBe(first?.fingerprint);
    },
  );

  it('copies labels so that callers cannot alter the parsed body', () => {
    const input = body([alert()]);
    const [only] = parseAlertmanager(input);
    only!.labels.model = 'changed';
    expect(((input.alerts as Record<string, unknown>[])[0]?.labels as Record<string, string>).model).toBe(
      'fraud-scorer',
    );
  });
});

describe('parseAlertmanager: bad input', () => {
  it.each(['status', 'labels', 'startsAt'])('refuses an alert without %s', (field) => {
    const broken = alert();
    delete broken[field];
    const error = badRequest(() => parseAlertmanager(body([alert(), broken])));
    expect(error.message).toContain(`alerts[1].${field}: missing`);
    expect(paths(error)).toEqual([`alerts[1].${field}`]);
  });

  it('refuses a body without alerts', () => {
    const error = badRequest(() => parseAlertmanager({ version: '4' }));
    expect(error.message).toContain('alerts: missing: expected an array of alerts');
  });

  it('says which timestamp is wrong and what it should look like', () => {
    const error = badRequest(() => parseAlertmanager(body([alert({ startsAt: 'yesterday' })])));
    expect(error.message).toBe(
      'invalid Alertmanager webhook body: alerts[0].startsAt: expected an RFC3339 timestamp like ' +
        '"2026-11-22T01:42:04Z", got "yesterday"',
    );
    expect(error.details).toEqual([
      {
        path: 'alerts[0].startsAt',
        message: 'expected an RFC3339 timestamp like "2026-11-22T01:42:04Z", got "yesterday"',
      },
    ]);
    expect(error.hint).toContain('default body');
  });

  it.each([
    ['no time zone', '2026-11-22T01:42:04'],
    ['30 February', '2026-02-30T00:00:00Z'],
    ['hour 25', '2026-11-22T25:00:00Z'],
    ['a date only', '2026-11-22'],
    ['epoch seconds as a string', '1795311724'],
  ])('refuses a timestamp with %s', (_, text) => {
    const error = badRequest(() => parseAlertmanager(body([alert({ endsAt: text })])));
    expect(paths(error)).toEqual(['alerts[0].endsAt']);
    expect(parseRfc3339(text)).toBeUndefined();
  });

  it.each([
    ['Z', '2026-11-22T01:42:04Z', Date.UTC(2026, 10, 22, 1, 42, 4)],
    ['a fraction', '2026-11-22T01:42:04.443Z', Date.UTC(2026, 10, 22, 1, 42, 4, 443)],
    [
      'nanoseconds, as Go sends them',
      '2026-11-22T01:42:04.443123456Z',
      Date.UTC(2026, 10, 22, 1, 42, 4, 443),
    ],
    ['an offset', '2026-11-22T03:42:04+02:00', Date.UTC(2026, 10, 22, 1, 42, 4)],
    ['lower-case t and z', '2026-11-22t01:42:04z', Date.UTC(2026, 10, 22, 1, 42, 4)],
    ['29 February of a leap year', '2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ["Go's zero time", '0001-01-01T00:00:00Z', -62_135_596_800_000],
  ])('reads a timestamp with %s', (_, text, ms) => {
    expect(parseRfc3339(text)).toBe(ms);
  });

  it.each([
    ['29 February of a year that is not leap', '2100-02-29T00:00:00Z'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['day 0', '2026-11-00T00:00:00Z'],
    ['minute 60', '2026-11-22T01:60:00Z'],
    ['an offset of 24 hours', '2026-11-22T01:42:04+24:00'],
  ])('refuses a timestamp with %s, as a date', (_, text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });

  it.each([
    ['a numeric startsAt', { startsAt: 1795311724 }, 'alerts[0].startsAt', 'got 1795311724'],
    [
      'an unknown status',
      { status: 'active' },
      'alerts[0].status',
      'expected "firing" or "resolved", got "active"',
    ],
    [
      'a number label value',
      { labels: { replicas: 3 } },
      'alerts[0].labels.replicas',
      'expected a string value',
    ],
    ['labels as an array', { labels: ['model'] }, 'alerts[0].labels', 'got an array'],
    ['annotations as a string', { annotations: 'x' }, 'alerts[0].annotations', 'got "x"'],
    ['a numeric fingerprint', { fingerprint: 42 }, 'alerts[0].fingerprint', 'got 42'],
    ['a non-string generatorURL', { generatorURL: false }, 'alerts[0].generatorURL', 'got false'],
  ])('refuses %s', (_, overrides, path, message) => {
    const error = badRequest(() => parseAlertmanager(body([alert(overrides)])));
    expect(error.message).toContain(`${path}: `);
    expect(error.message).toContain(message);
    expect(paths(error)).toEqual([path]);
  });

  it('quotes label names that are not identifiers', () => {
    const error = badRequest(() =>
      parseAlertmanager(body([alert({ labels: { 'app.kubernetes.io/name': 1 } })])),
    );
    expect(paths(error)).toEqual(['alerts[0].labels["app.kubernetes.io/name"]']);
  });

  it('reports every problem at once', () => {
    const error = badRequest(() =>
      parseAlertmanager(body([alert({ status: 'x' }), alert({ fingerprint: 7, startsAt: 'now' })])),
    );
    expect(paths(error)).toEqual(['alerts[0].status', 'alerts[1].startsAt', 'alerts[1].fingerprint']);
  });

  it.each([
    ['"3"', { version: '3' }, 'expected "4", got "3"'],
    ['missing', { version: undefined }, 'missing: expected "4"'],
    ['the number 4', { version: 4 }, 'expected "4", got 4'],
  ])('refuses version %s and says to drop the custom payload template', (_, overrides, message) => {
    const error = badRequest(() => parseAlertmanager(body([alert()], overrides)));
    expect(error.message).toContain(`version: ${message}`);
    expect(error.message).toContain('default webhook v4 body, not a custom `payload` template');
    expect(paths(error)).toEqual(['version']);
  });

  it.each([
    ['one generic alert', { model: 'fraud-scorer', severity: 'critical', summary: 'error rate above 5%' }],
    ['an array of generic alerts', [{ model: 'fraud-scorer', severity: 'critical', summary: 'x' }]],
  ])('points %s at /alerts, instead of saying to drop a payload template', (_, generic) => {
    // It read "version: missing …: remove `payload` from the webhook_config": advice for a sender that has none.
    const error = badRequest(() => parseAlertmanager(generic));
    expect(error.message).toBe(
      'invalid Alertmanager webhook body: (body): this looks like a generic alert ({"model", "severity", ' +
        '"summary"}), not an Alertmanager webhook body; send it to /alerts',
    );
    expect(error.hint).toBe(
      'POST generic alerts to /alerts; /alerts/alertmanager takes an Alertmanager webhook body',
    );
    expect(paths(error)).toEqual(['(body)']);
  });

  it('points a Grafana body (version "1") at the Grafana route', () => {
    const error = badRequest(() => parseAlertmanager(body([alert()], { version: '1' })));
    expect(error.message).toContain('send it to /alerts/grafana');
  });

  it.each([
    ['null', null, 'got null'],
    ['an array', [alert()], 'got an array'],
    ['a string', '{"version":"4"}', 'got "{\\"version\\":\\"4\\"}"'],
    ['a number', 4, 'got 4'],
    ['undefined', undefined, 'missing'],
  ])('refuses a body that is %s', (_, input, message) => {
    const error = badRequest(() => parseAlertmanager(input));
    expect(error.message).toContain('(body): ');
    expect(error.message).toContain('expected a JSON object');
    expect(error.message).toContain(message);
    expect(paths(error)).toEqual(['(body)']);
  });

  it('refuses alerts that are not an array', () => {
    const error = badRequest(() => parseAlertmanager(body([], { alerts: { 0: alert() } })));
    expect(error.message).toContain('alerts: expected an array of alerts, got an object');
  });

  it(`takes ${MAX_ALERTS_PER_BODY} alerts and refuses one more with a single problem`, () => {
    const many = Array.from({ length: MAX_ALERTS_PER_BODY }, (_, i) => alert({ fingerprint: `f${i}` }));
    expect(parseAlertmanager(body(many))).toHaveLength(1000);
    // The extra alert is invalid too: the limit is checked first, so it is the only problem reported.
    const error = badRequest(() => parseAlertmanager(body([...many, { broken: true }])));
    expect(error.message).toContain('too many alerts: 1001 in one body, rollbot accepts at most 1000');
    expect(error.message).toContain('max_alerts');
    expect(paths(error)).toEqual(['alerts']);
  });

  it('keeps the error bounded when every alert is broken', () => {
    const broken = Array.from({ length: 1000 }, () => alert({ status: 'x' }));
    const error = badRequest(() => parseAlertmanager(body(broken)));
    expect(error.message).toContain(
      'alerts[9].status: expected "firing" or "resolved", got "x" (and 990 more problems)',
    );
    expect(error.message).not.toContain('alerts[10]');
    expect(error.details).toHaveLength(100);
  });
});
