import fc from 'fast-check';
import {
  PROTOTYPE_MEMBERS,
  applyMutations,
  hostileString,
  hostileValue,
  mutation,
} from './hostile-values.js';

/** The models the fuzzed bot has runbooks for; anything else is unrouted. */
export const KNOWN_MODELS = ['fraud-scorer', 'churn-predictor'] as const;

const model = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KNOWN_MODELS) }, hostileString);

const rfc3339 = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => date.toISOString());

const fingerprint = fc.stringMatching(/^[0-9a-f]{16}$/);

/**
 * A usual value most of the time, else any string: still a valid label value, so it reaches the engine. Names
 * of Object.prototype members get a weight of their own because label values are looked up in maps.
 */
function usually(...values: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...values) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_MEMBERS) },
    { weight: 2, arbitrary: hostileString },
  );
}

/** Labels as Alertmanager sends them, with hostile values and extra labels that are still strings. */
function labelsFor(alertname: fc.Arbitrary<string>) {
  return fc
    .tuple(
      fc.record({ alertname, model, severity: usually('critical', 'warning', 'info', 'page') }),
      fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));
}

/** An Alertmanager/Grafana alert in the shape both send, its strings hostile but still strings. */
const wireAlert = fc.record({
  status: fc.constantFrom('firing', 'resolved'),
  labels: labelsFor(usually('ModelErrorRateHigh', 'ModelLatencyHigh')),
  annotations: fc.record(
    { summary: usually('error rate above 5%'), description: hostileString },
    { requiredKeys: [] },
  ),
  startsAt: rfc3339,
  endsAt: fc.constantFrom('0001-01-01T00:00:00Z', '2026-11-22T03:00:00Z'),
  generatorURL: fc.constantFrom('', 'http://prometheus.example:9090/graph'),
  fingerprint,
});

/** An Alertmanager webhook v4 body in the shape of shared/fixtures/alertmanager/firing.json. */
export const alertmanagerBody = fc.record({
  receiver: fc.constant('bot'),
  status: fc.constantFrom('firing', 'resolved'),
  alerts: fc.array(wireAlert, { minLength: 1, maxLength: 3 }),
  groupLabels: fc.constant({ alertname: 'ModelErrorRateHigh' }),
  commonLabels: fc.constant({ alertname: 'ModelErrorRateHigh' }),
  commonAnnotations: fc.constant({}),
  externalURL: fc.constant('http://alertmanager.example:9093'),
  version: fc.constant('4'),
  groupKey: fc.constant('{}:{alertname="ModelErrorRateHigh"}'),
  truncatedAlerts: fc.constant(0),
});

/** A Grafana unified-alerting webhook body: Alertmanager's alerts plus Grafana's extra fields. */
export const grafanaBody = fc.record({
  receiver: fc.constant('rollbot'),
  status: fc.constantFrom('firing', 'resolved'),
  orgId: fc.constant(1),
  alerts: fc.array(
    fc.tuple(wireAlert, fc.double({ noNaN: true, noDefaultInfinity: true })).map(([alert, value]) => ({
      ...alert,
      values: { B: value },
      valueString: `[ var='B' value=${value} ]`,
    })),
    { minLength: 1, maxLength: 3 },
  ),
  version: fc.constant('1'),
  title: fc.string({ maxLength: 40 }),
  message: fc.string({ maxLength: 40 }),
});

/** A generic alert (`POST /alerts`) in the documented shape, optional fields sometimes left out. */
const genericAlert = fc.record(
  {
    model,
    severity: usually('critical', 'warning', 'info', 'sev2'),
    summary: usually('p99 latency doubled'),
    startsAt: rfc3339,
    labels: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
    status: fc.constantFrom('firing', 'resolved'),
    fingerprint,
  },
  { requiredKeys: ['model', 'severity', 'summary'] },
);

export const genericBody = fc.oneof(genericAlert, fc.array(genericAlert, { minLength: 1, maxLength: 3 }));

export const ALERT_ROUTES = ['/alerts/alertmanager', '/alerts/grafana', '/alerts'] as const;
export type AlertRoute = (typeof ALERT_ROUTES)[number];

const VALID_BODY: Record<AlertRoute, fc.Arbitrary<unknown>> = {
  '/alerts/alertmanager': alertmanagerBody,
  '/alerts/grafana': grafanaBody,
  '/alerts': genericBody,
};

/**
 * A body for `route`: usually that route's format (sometimes another's), left in shape half of the time so that
 * hostile values inside well-formed bodies reach the engine, otherwise with up to four hostile mutations
 * (wrong types, missing or renamed fields, unknown keys).
 */
export function mutatedAlertBody(route: AlertRoute): fc.Arbitrary<unknown> {
  const others = ALERT_ROUTES.filter((other) => other !== route).map((other) => VALID_BODY[other]);
  const changes = fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 4 }));
  return fc
    .tuple(fc.oneof({ weight: 5, arbitrary: VALID_BODY[route] }, ...others), changes)
    .map(([body, applied]) => applyMutations(body, applied));
}

/**
 * How a body goes on the wire: mostly as JSON, sometimes as bytes that are not quite JSON. Text stays a string
 * so that fast-check's counterexamples can be read.
 */
export function encodedBody(route: AlertRoute): fc.Arbitrary<string | Uint8Array> {
  const body = mutatedAlertBody(route);
  return fc.oneof(
    { weight: 12, arbitrary: body.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: hostileValue.map((value) => JSON.stringify(value)) },
    // Valid JSON cut short, as a dropped connection or a proxy's size cap would leave it.
    {
      weight: 1,
      arbitrary: fc.tuple(body, fc.nat()).map(([value, cut]) => {
        const text = JSON.stringify(value);
        return text.slice(0, cut % Math.max(text.length, 1));
      }),
    },
    // A byte-order mark, UTF-16, or raw bytes where JSON was promised.
    { weight: 1, arbitrary: body.map((value) => `\ufeff${JSON.stringify(value)}`) },
    {
      weight: 1,
      arbitrary: body.map((value) => new Uint8Array(Buffer.from(JSON.stringify(value), 'utf16le'))),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }) },
    { weight: 1, arbitrary: fc.constant('') },
    // Nesting far deeper than any alert, written as text: the parser's recursion, not the validator's.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1_000, max: 400_000 }), fc.constantFrom('[', '{"a":'))
        .map(([depth, open]) => {
          const close = open === '[' ? ']' : '}';
          return `{"version":"4","alerts":${open.repeat(depth)}1${close.repeat(depth)}}`;
        }),
    },
  );
}

/** Printable ASCII: what a header may carry (fetch refuses control characters before anything is sent). */
const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 60 });

export const contentType = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/jsonp',
      'application/json-patch+json',
      'multipart/form-data; boundary=x',
      '',
    ),
  },
  { weight: 1, arbitrary: headerText },
);

/** Authorization headers that must not pass for `token`. */
export function wrongAuthorization(token: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constantFrom(
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Basic ${token}`,
      `Bearer ${token}x`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token.toUpperCase()}`,
      token,
    ),
    headerText.map((text) => `Bearer ${text}`),
    headerText,
  );
}

/** The valid bearer token most of the time, so that bodies get past authentication; otherwise a wrong one. */
export function authorization(token: string): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    // Both the scheme's case and the spaces around the token are the sender's choice (RFC 7235).
    { weight: 12, arbitrary: fc.constantFrom(`Bearer ${token}`, `bearer ${token}`, `Bearer   ${token} `) },
    { weight: 2, arbitrary: wrongAuthorization(token) },
  );
}

export interface AlertRequest {
  method: string;
  path: AlertRoute;
  contentType: string;
  authorization: string | undefined;
  body: string | Uint8Array;
}

/** A whole request to one of the alert routes, hostile in its method, headers, body, or all of them. */
export function alertRequest(token: string): fc.Arbitrary<AlertRequest> {
  return fc.constantFrom(...ALERT_ROUTES).chain((path) =>
    fc.record({
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant('POST') },
        fc.constantFrom('PUT', 'PATCH', 'DELETE'),
      ),
      path: fc.constant(path),
      contentType,
      authorization: authorization(token),
      body: encodedBody(path),
    }),
  );
}
