import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertmanagerBody } from '../../../src/alerts/alertmanager.js';
import { grafanaBody } from '../../../src/alerts/grafana.js';
import { readPlainAlerts } from '../../../src/alerts/plain-alerts.js';
import type { AlertIntakeSource } from '../../../src/alerts/types.js';
import { MAX_ALERTS_PER_BODY, normalizeWireAlert, type WireAlert } from '../../../src/alerts/wire-alert.js';
import { mutatedAlertBody } from '../../fuzz/support/alert-bodies.js';
import { wireFiring as alert } from '../../helpers/alerts.js';

const FORMATS = [
  { source: 'alertmanager', version: '4', schema: alertmanagerBody, route: '/alerts/alertmanager' },
  { source: 'grafana', version: '1', schema: grafanaBody, route: '/alerts/grafana' },
] as const;

async function json(url: URL): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(url, 'utf8')) as Record<string, unknown>;
}

const FIXTURES = {
  alertmanager: [
    new URL('../../../../shared/fixtures/alertmanager/firing.json', import.meta.url),
    new URL('../../../../shared/fixtures/alertmanager/resolved.json', import.meta.url),
  ],
  grafana: [new URL('../../fixtures/grafana/firing.json', import.meta.url)],
};

const normalized = (source: AlertIntakeSource, alerts: readonly WireAlert[]) =>
  alerts.map((alert) => normalizeWireAlert(source, alert));

/** What the schema makes of `body`, normalized; undefined when it refuses the body. */
function bySchema(format: (typeof FORMATS)[number], body: unknown) {
  const result = format.schema.safeParse(body);
  return result.success ? normalized(format.source, result.data.alerts) : undefined;
}

const body = (...alerts: unknown[]) => ({ version: '4', alerts });

describe('readPlainAlerts', () => {
  for (const format of FORMATS) {
    it(`reads the captured ${format.source} bodies itself, to what the schema reads them to`, async () => {
      for (const url of FIXTURES[format.source]) {
        const sent = await json(url);
        const plain = readPlainAlerts(sent, format.version);
        expect(plain, url.pathname).toBeDefined();
        expect(normalized(format.source, plain ?? [])).toStrictEqual(bySchema(format, sent));
      }
    });

    it(`never accepts a body the schema refuses (${format.source}), and reads the rest as it does`, () => {
      let read = 0;
      let left = 0;
      fc.assert(
        fc.property(mutatedAlertBody(format.route), (generated) => {
          // As the route sees it: what survives JSON.
          const sent: unknown = JSON.parse(JSON.stringify(generated) ?? 'null');
          const plain = readPlainAlerts(sent, format.version);
          if (plain === undefined) {
            left += 1;
            return;
          }
          read += 1;
          expect(normalized(format.source, plain)).toStrictEqual(bySchema(format, sent));
        }),
        { numRuns: 500 },
      );
      // Both ways were taken: the comparison above ran, and hostile bodies were left to the schema.
      expect(read).toBeGreaterThan(50);
      expect(left).toBeGreaterThan(50);
    });
  }

  it('leaves to the schema what it would word or change: wrong types, bad times, too many alerts', () => {
    const refused = [
      null,
      [alert()],
      { version: '1', alerts: [alert()] },
      { version: '4' },
      { version: '4', alerts: {} },
      body(alert({ status: 'pending' })),
      body(alert({ labels: { model: 1 } })),
      body(alert({ labels: null })),
      body(alert({ annotations: ['a'] })),
      body(alert({ startsAt: '2026-02-30T00:00:00Z' })),
      body(alert({ startsAt: undefined })),
      body(alert({ endsAt: null })),
      body(alert({ generatorURL: 7 })),
      body(alert({ fingerprint: 7 })),
      body(...Array.from({ length: MAX_ALERTS_PER_BODY + 1 }, () => alert())),
      // The schema drops a `__proto__` label: the reader, keeping the body's own map, would not.
      body(alert({ labels: JSON.parse('{"model":"fraud-scorer","__proto__":"x"}') as unknown })),
    ];
    for (const sent of refused) expect(readPlainAlerts(sent, '4'), JSON.stringify(sent)).toBeUndefined();
  });

  it('reads what the schema lets through: null annotations, unknown fields, unset times', () => {
    const sent = body(
      alert({ annotations: null, endsAt: undefined, fingerprint: null, silenceURL: 'http://x' }),
      alert({ status: 'resolved', startsAt: '1970-01-01T00:00:00Z', endsAt: '2026-11-22T02:00:00+01:00' }),
    );
    const plain = readPlainAlerts(sent, '4');
    expect(plain).toBeDefined();
    expect(normalized('alertmanager', plain ?? [])).toStrictEqual(bySchema(FORMATS[0], sent));
    expect(plain?.map(({ annotations, startsAt, endsAt }) => ({ annotations, startsAt, endsAt }))).toEqual([
      { annotations: {}, startsAt: Date.parse('2026-11-22T01:42:04.443Z'), endsAt: undefined },
      {
        annotations: { summary: 'fraud-scorer error rate above 5%' },
        startsAt: undefined,
        endsAt: Date.parse('2026-11-22T01:00:00Z'),
      },
    ]);
  });
});
