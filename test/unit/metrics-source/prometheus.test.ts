import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RollbotError, type ErrorCode } from '../../../src/core/errors.js';
import { createPrometheusSource, MAX_ANSWER_BYTES } from '../../../src/metrics-source/prometheus.js';

const HOST = 'http://prometheus.test:9090';
const source = (extra: { url?: string; authorization?: string; timeoutMs?: number } = {}) =>
  createPrometheusSource({ url: HOST, ...extra });

/** Captured from a real Prometheus; replayed byte for byte so that e.g. `1795311891.520` stays as sent. */
function fixture(name: string): string {
  return readFileSync(new URL(`../../../../shared/fixtures/prometheus/${name}`, import.meta.url), 'utf8');
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const vector = (result: unknown) => ({ status: 'success', data: { resultType: 'vector', result } });
const matrix = (result: unknown) => ({ status: 'success', data: { resultType: 'matrix', result } });

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  form: Record<string, string>;
}

/** Answers one POST on `path` with `body` and records what rollbot sent. */
function prometheus(path: string, status: number, body: unknown, host = HOST): Seen[] {
  const seen: Seen[] = [];
  nock(host)
    .post(path)
    .reply(function (uri, requestBody) {
      seen.push({
        method: this.req.method,
        path: uri,
        headers: this.req.headers,
        form: Object.fromEntries(new URLSearchParams(String(requestBody))),
      });
      return [status, typeof body === 'string' ? body : JSON.stringify(body), JSON_HEADERS];
    });
  return seen;
}

/** The RollbotError a call rejects with, checked for its code. */
async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<RollbotError> {
  const error: unknown = await promise.then(
    () => expect.unreachable('expected a RollbotError'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RollbotError);
  expect((error as RollbotError).code).toBe(code);
  return error as RollbotError;
}

const unmatched: string[] = [];
beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on('no match', (req: { method?: string; hostname?: string; path?: string }) => {
    // The real-socket tests pass through to 127.0.0.1 on purpose; anything else is a request no test expected.
    if (req.hostname === '127.0.0.1') return;
    unmatched.push(`${req.method ?? '?'} ${req.hostname ?? '?'}${req.path ?? '?'}`);
  });
});
beforeEach(() => {
  unmatched.length = 0;
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.disableNetConnect();
  expect(unmatched).toStrictEqual([]);
  expect(pending).toStrictEqual([]);
});

describe('prometheus source: real payloads', () => {
  it('reads an instant vector with its exact labels and value', async () => {
    prometheus('/api/v1/query', 200, fixture('query-vector.json'));
    await expect(source().query('up')).resolves.toStrictEqual({
      samples: [{ labels: { __name__: 'up', instance: '127.0.0.1:9090', job: 'prom' }, value: 1 }],
      warnings: [],
    });
  });

  it('reads an empty vector as no samples, not an error', async () => {
    prometheus('/api/v1/query', 200, fixture('query-empty.json'));
    await expect(source().query('up{job="absent"}')).resolves.toStrictEqual({ samples: [], warnings: [] });
  });

  it('reads a null result (a Go nil slice) as no data, not as an answer from something else', async () => {
    // Prometheus 2.0 (`a or b` of two empty vectors, prometheus#3603), 2.52 (`bottomk` of nothing in a range,
    // prometheus#13993) and some query frontends answer an empty result with `"result": null`.
    prometheus('/api/v1/query', 200, vector(null));
    await expect(source().query('up{a="1"} or up{a="2"}')).resolves.toStrictEqual({
      samples: [],
      warnings: [],
    });
    prometheus('/api/v1/query_range', 200, matrix(null));
    await expect(source().range('bottomk(2, absent)', 0, 60_000, 15_000)).resolves.toStrictEqual({
      series: [],
      warnings: [],
    });
  });

  it('reports bad PromQL as BAD_REQUEST with Prometheus’ reason and the query', async () => {
    prometheus('/api/v1/query', 400, fixture('query-bad.json'));
    const error = await failure(source().query('sum(up'), 'BAD_REQUEST');
    expect(error.message).toContain('unclosed left parenthesis');
    expect(error.message).toContain('"sum(up"');
    expect(error.hint).toBe('fix the PromQL of this check in the runbook');
    expect(error.details).toStrictEqual({ query: 'sum(up', status: 400, errorType: 'bad_data' });
  });

  it('reads a range matrix with exact epoch-ms points', async () => {
    prometheus('/api/v1/query_range', 200, fixture('query_range-matrix.json'));
    const { series, warnings } = await source().range('up', 1_795_311_831_000, 1_795_311_891_000, 15_000);
    expect(warnings).toStrictEqual([]);
    expect(series).toStrictEqual([
      {
        labels: { __name__: 'up', instance: '127.0.0.1:9090', job: 'prom' },
        points: [
          { at: 1_795_311_831_000, value: 1 },
          { at: 1_795_311_846_000, value: 1 },
          { at: 1_795_311_861_000, value: 1 },
          { at: 1_795_311_876_000, value: 1 },
          { at: 1_795_311_891_000, value: 1 },
        ],
      },
    ]);
  });
});

describe('prometheus source: request shape', () => {
  it('POSTs an instant query as a form with time in fractional unix seconds', async () => {
    const seen = prometheus('/api/v1/query', 200, fixture('query-empty.json'));
    await source().query('sum by (model) (rate(errors_total[5m]))', 1_795_311_891_520);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.path).toBe('/api/v1/query');
    expect(seen[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0]?.form).toStrictEqual({
      query: 'sum by (model) (rate(errors_total[5m]))',
      time: '1795311891.52',
      timeout: '10000ms',
    });
  });

  it('leaves time out without `at`, so that Prometheus evaluates at its own now', async () => {
    const seen = prometheus('/api/v1/query', 200, fixture('query-empty.json'));
    await source().query('up');
    expect(seen[0]?.form).toStrictEqual({ query: 'up', timeout: '10000ms' });
  });

  it('POSTs a range query with start and end in seconds and step in whole milliseconds', async () => {
    const seen = prometheus('/api/v1/query_range', 200, fixture('query_range-matrix.json'));
    await source().range('up', 1_795_311_831_000, 1_795_311_891_500, 15_000);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.path).toBe('/api/v1/query_range');
    expect(seen[0]?.form).toStrictEqual({
      query: 'up',
      start: '1795311831',
      end: '1795311891.5',
      step: '15000ms',
      timeout: '10000ms',
    });
  });

  it('asks Prometheus to give up when rollbot does, so that it does not evaluate a query nobody waits for', async () => {
    const seen = prometheus('/api/v1/query', 200, fixture('query-empty.json'));
    await source({ timeoutMs: 2_500 }).query('up');
    expect(seen[0]?.form).toStrictEqual({ query: 'up', timeout: '2500ms' });
  });

  it.each([
    ['http://thanos.test:9090/prometheus/', '/prometheus/api/v1/query'],
    ['http://thanos.test:9090/prometheus', '/prometheus/api/v1/query'],
    ['http://thanos.test:9090/', '/api/v1/query'],
    ['http://thanos.test:9090', '/api/v1/query'],
  ])('resolves the API below the base URL %s', async (url, path) => {
    const seen = prometheus(path, 200, fixture('query-empty.json'), 'http://thanos.test:9090');
    await source({ url }).query('up');
    expect(seen[0]?.path).toBe(path);
  });

  it('sends the configured Authorization header as is', async () => {
    const seen = prometheus('/api/v1/query', 200, fixture('query-empty.json'));
    await source({ authorization: 'Bearer s3cret' }).query('up');
    expect(seen[0]?.headers.authorization).toBe('Bearer s3cret');
  });

  it('sends no Authorization header when none is configured', async () => {
    const seen = prometheus('/api/v1/query', 200, fixture('query-empty.json'));
    await source().query('up');
    expect(seen[0]?.headers).not.toHaveProperty('authorization');
  });

  it('refuses a URL it cannot use before any query', () => {
    for (const url of [
      'prometheus:9090/x',
      'not a url',
      'ftp://prometheus',
      'http://user:pw@prometheus:9090',
    ]) {
      expect(() => source({ url }), url).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });

  it('refuses a range Prometheus would refuse, without a request', async () => {
    const query = source();
    await failure(query.range('up', 0, 60_000, 0), 'BAD_REQUEST');
    await failure(query.range('up', 60_000, 0, 1_000), 'BAD_REQUEST');
    const fractional = await failure(query.range('up', 0, 60_000, 1_000.5), 'BAD_REQUEST');
    expect(fractional.message).toContain('not whole milliseconds');
    // (end − start) / step above 11,000 is what Prometheus refuses: 11,001 steps, 11,002 points.
    const tooMany = await failure(query.range('up', 0, 11_001_000, 1_000), 'BAD_REQUEST');
    expect(tooMany.message).toBe(
      'Prometheus query "up": 11001 steps of 1000ms (11002 points per series) exceed Prometheus\' limit of 11,000 steps',
    );
  });

  it('sends a range of exactly 11,000 steps (11,001 points), which Prometheus answers', async () => {
    const seen = prometheus('/api/v1/query_range', 200, matrix([]));
    await source().range('up', 0, 11_000_000, 1_000);
    expect(seen[0]?.form).toMatchObject({ start: '0', end: '11000', step: '1000ms' });
  });
});

describe("prometheus source: Prometheus' clock", () => {
  it('asks for time() without a time and answers the moment Prometheus evaluated it, in epoch ms', async () => {
    // As Prometheus 2.42 answers it.
    const seen = prometheus('/api/v1/query', 200, {
      status: 'success',
      data: { resultType: 'scalar', result: [1796401343.446, '1796401343.446'] },
    });
    await expect(source().now?.()).resolves.toBe(1_796_401_343_446);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.form).toStrictEqual({ query: 'time()', timeout: '10000ms' });
  });

  it('reads the moment of a look-alike that answers time() with a vector', async () => {
    prometheus('/api/v1/query', 200, vector([{ metric: {}, value: [1796401343.452, '1796401343.452'] }]));
    await expect(source().now?.()).resolves.toBe(1_796_401_343_452);
  });

  it('refuses an answer without a moment in it as not from the Prometheus API', async () => {
    prometheus('/api/v1/query', 200, vector([]));
    const error = await failure(source().now!(), 'UNAVAILABLE');
    expect(error.message).toContain('time()');
    expect(error.message).toContain('no evaluation time');
  });

  it('fails as any query does when Prometheus cannot answer', async () => {
    prometheus('/api/v1/query', 503, { status: 'error', errorType: 'unavailable', error: 'not ready' });
    const error = await failure(source().now!(), 'UNAVAILABLE');
    expect(error.message).toContain('HTTP 503 unavailable: not ready');
  });
});

describe('prometheus source: values and result types', () => {
  it('reads NaN, +Inf and -Inf', async () => {
    prometheus(
      '/api/v1/query',
      200,
      vector([
        { metric: { q: 'nan' }, value: [1795311891.5, 'NaN'] },
        { metric: { q: 'inf' }, value: [1795311891.5, '+Inf'] },
        { metric: { q: '-inf' }, value: [1795311891.5, '-Inf'] },
        { metric: { q: 'small' }, value: [1795311891.5, '1.5e-7'] },
      ]),
    );
    const { samples } = await source().query('histogram_quantile(0.99, x)');
    expect(samples.map((sample) => sample.value)).toStrictEqual([NaN, Infinity, -Infinity, 1.5e-7]);
  });

  it('reads NaN and ±Inf in range points too', async () => {
    prometheus(
      '/api/v1/query_range',
      200,
      matrix([
        {
          metric: {},
          values: [
            [1795311831, 'NaN'],
            [1795311846, '+Inf'],
            [1795311861, '-Inf'],
          ],
        },
      ]),
    );
    const {
      series: [series],
    } = await source().range('x', 1_795_311_831_000, 1_795_311_861_000, 15_000);
    expect(series?.points.map((p) => p.value)).toStrictEqual([NaN, Infinity, -Infinity]);
  });

  it('reads a scalar as one sample without labels', async () => {
    prometheus('/api/v1/query', 200, {
      status: 'success',
      data: { resultType: 'scalar', result: [1795311891.52, '0.25'] },
    });
    await expect(source().query('scalar(sum(up))')).resolves.toStrictEqual({
      samples: [{ labels: {}, value: 0.25 }],
      warnings: [],
    });
  });

  it('refuses a range vector from an instant query, saying how to fix it', async () => {
    prometheus('/api/v1/query', 200, fixture('query_range-matrix.json'));
    const error = await failure(source().query('up[1m]'), 'BAD_REQUEST');
    expect(error.message).toContain('instant query must return a vector or scalar');
    expect(error.hint).toContain('max_over_time');
  });

  it('refuses a string result', async () => {
    prometheus('/api/v1/query', 200, {
      status: 'success',
      data: { resultType: 'string', result: [1795311891.52, 'hello'] },
    });
    const error = await failure(source().query('"hello"'), 'BAD_REQUEST');
    expect(error.message).toContain('string');
  });

  it('refuses native histogram samples, asking for floats', async () => {
    const histogram = { count: '10', sum: '3.5', buckets: [[0, '0.5', '1', '10']] };
    prometheus('/api/v1/query', 200, vector([{ metric: {}, histogram: [1795311891.52, histogram] }]));
    const error = await failure(source().query('request_duration_seconds'), 'BAD_REQUEST');
    expect(error.message).toContain('native histograms');
    expect(error.hint).toContain('histogram_quantile');
  });

  it('refuses native histograms in a range too', async () => {
    const histogram = { count: '10', sum: '3.5' };
    prometheus('/api/v1/query_range', 200, matrix([{ metric: {}, histograms: [[1795311831, histogram]] }]));
    await failure(source().range('request_duration_seconds', 0, 60_000, 15_000), 'BAD_REQUEST');
  });

  it('reads a vector from a range query as one point per series, defensively', async () => {
    prometheus('/api/v1/query_range', 200, vector([{ metric: { a: 'b' }, value: [1795311891.52, '2'] }]));
    await expect(source().range('up', 0, 60_000, 15_000)).resolves.toStrictEqual({
      series: [{ labels: { a: 'b' }, points: [{ at: 1_795_311_891_520, value: 2 }] }],
      warnings: [],
    });
  });

  it('refuses a sample value that is not a number as not Prometheus', async () => {
    prometheus('/api/v1/query', 200, vector([{ metric: {}, value: [1795311891.52, 'lots'] }]));
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toContain('not from the Prometheus HTTP API');
  });

  it('names the first problem of a malformed answer and counts the others, not one line per series', async () => {
    // A look-alike that sends numbers where Prometheus sends strings, for each of 1,000 series.
    const result = Array.from({ length: 1000 }, (_, i) => ({
      metric: { pod: `ranker-${i}` },
      value: [1795311891.52, 0.01],
    }));
    prometheus('/api/v1/query', 200, vector(result));
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toBe(
      'Prometheus query "up": the answer (HTTP 200) is not from the Prometheus HTTP API: ' +
        '✖ Invalid input: expected string, received number → at result[0].value[1], and 999 more problems',
    );
  });
});

describe('prometheus source: warnings (a possibly partial answer)', () => {
  // As Prometheus sends them when a remote-read endpoint fails; Thanos and Mimir use the same field.
  const REMOTE_READ = 'error sending request: Post "http://archive:9201/read": connection refused';

  it('returns the warnings of an instant answer with its samples', async () => {
    prometheus('/api/v1/query', 200, {
      ...vector([{ metric: { model: 'fraud-scorer' }, value: [1795311891.52, '0.004'] }]),
      warnings: [REMOTE_READ, 'results truncated due to limit'],
    });
    await expect(source().query('error_ratio')).resolves.toStrictEqual({
      samples: [{ labels: { model: 'fraud-scorer' }, value: 0.004 }],
      warnings: [REMOTE_READ, 'results truncated due to limit'],
    });
  });

  it('returns the warnings of a range answer with its series', async () => {
    prometheus('/api/v1/query_range', 200, {
      ...matrix([{ metric: {}, values: [[1795311831, '0.004']] }]),
      warnings: [REMOTE_READ],
    });
    await expect(
      source().range('error_ratio', 1_795_311_831_000, 1_795_311_831_000, 15_000),
    ).resolves.toStrictEqual({
      series: [{ labels: {}, points: [{ at: 1_795_311_831_000, value: 0.004 }] }],
      warnings: [REMOTE_READ],
    });
  });

  it('returns the warnings of an empty answer: no data may be data that could not be read', async () => {
    prometheus('/api/v1/query', 200, { ...vector([]), warnings: [REMOTE_READ] });
    await expect(source().query('error_ratio')).resolves.toStrictEqual({
      samples: [],
      warnings: [REMOTE_READ],
    });
  });

  it('reads a null warnings field (a Go nil slice) as none', async () => {
    prometheus('/api/v1/query', 200, { ...vector([]), warnings: null });
    await expect(source().query('up')).resolves.toStrictEqual({ samples: [], warnings: [] });
  });

  it('does not pass on infos: hints about the query that may be false positives, not a partial answer', async () => {
    prometheus('/api/v1/query', 200, {
      ...vector([{ metric: {}, value: [1795311891.52, '1'] }]),
      infos: [
        'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"',
      ],
    });
    await expect(source().query('rate(x[5m])')).resolves.toStrictEqual({
      samples: [{ labels: {}, value: 1 }],
      warnings: [],
    });
  });

  it('refuses warnings that are not a list of strings, naming the field', async () => {
    prometheus('/api/v1/query', 200, { ...vector([]), warnings: [{ code: 7 }] });
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toContain('not from the Prometheus HTTP API');
    expect(error.message).toContain('warnings');
  });
});

describe('prometheus source: failures', () => {
  it('maps 503 with an error envelope to UNAVAILABLE', async () => {
    prometheus('/api/v1/query', 503, {
      status: 'error',
      errorType: 'timeout',
      error: 'query timed out in expression evaluation',
    });
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toContain('query timed out in expression evaluation');
    expect(error.message).toContain('"up"');
  });

  it('says a 429 is a query limit to raise, not a query to fix nor a Prometheus to look at', async () => {
    prometheus('/api/v1/query', 429, {
      status: 'error',
      errorType: 'execution',
      error: 'the query hit the max number of chunks limit',
    });
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toBe(
      'Prometheus query "up": too many queries (HTTP 429 execution: the query hit the max number of chunks limit)',
    );
    expect(error.hint).toMatch(/^raise the query limit for rollbot's tenant or user/);
    expect(error.hint).not.toContain('PromQL');
  });

  it('maps a 5xx without an envelope to UNAVAILABLE', async () => {
    prometheus('/api/v1/query', 502, '<html><body><h1>502 Bad Gateway</h1></body></html>');
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toContain('HTTP 502');
    expect(error.message).toContain('502 Bad Gateway');
  });

  it('maps 422 (the expression cannot be executed) to BAD_REQUEST', async () => {
    prometheus('/api/v1/query', 422, {
      status: 'error',
      errorType: 'execution',
      error: 'found duplicate series for the match group',
    });
    const error = await failure(source().query('a * on(x) b'), 'BAD_REQUEST');
    expect(error.message).toContain('found duplicate series');
    expect(error.hint).toBe('fix the PromQL of this check in the runbook');
  });

  it.each([400, 422])(
    'blames PROMETHEUS_URL, not the PromQL, for a %i without an envelope: a proxy said it, not Prometheus',
    async (status) => {
      // nginx in front of a TLS Prometheus, asked over plain http (PROMETHEUS_URL with http:// on port 443).
      const page =
        '<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head><body>' +
        '<center><h1>400 Bad Request</h1></center><center>The plain HTTP request was sent to HTTPS port</center>' +
        '<hr><center>nginx</center></body></html>';
      prometheus('/api/v1/query', status, page);
      const error = await failure(source().query('up'), 'UNAVAILABLE');
      expect(error.message).toContain(`HTTP ${status}: 400 The plain HTTP request was sent to HTTPS port`);
      expect(error.hint).toMatch(/^check PROMETHEUS_URL: it must point at the Prometheus HTTP API/);
      expect(error.hint).not.toContain('PromQL');
    },
  );

  it.each([401, 403])('maps %i to UNAVAILABLE with the authorization hint', async (status) => {
    prometheus('/api/v1/query', status, 'Unauthorized');
    const error = await failure(source({ authorization: 'Bearer stale' }).query('up'), 'UNAVAILABLE');
    expect(error.hint).toContain('PROMETHEUS_AUTHORIZATION');
    expect(error.message).not.toContain('stale');
  });

  it('maps an HTML 200 from a proxy to UNAVAILABLE: not the Prometheus API', async () => {
    prometheus('/api/v1/query', 200, '<!doctype html><html><title>Grafana</title></html>');
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toContain('not from the Prometheus HTTP API');
    expect(error.hint).toContain('PROMETHEUS_URL');
  });

  it('maps JSON that is not the envelope to UNAVAILABLE', async () => {
    prometheus('/api/v1/query', 200, { status: 'success', data: { resultType: 'table', rows: [] } });
    await failure(source().query('up'), 'UNAVAILABLE');
  });

  it('maps a refused connection to UNAVAILABLE with the reachability hint', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:9090'), { code: 'ECONNREFUSED' });
    nock(HOST).post('/api/v1/query').replyWithError(refused);
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.hint).toBe('check PROMETHEUS_URL and that Prometheus is reachable from rollbot');
  });

  it('truncates a long query in messages but keeps it whole in details', async () => {
    const long = `sum(rate(http_requests_total{job="api",code=~"5.."}[5m]))\n  / ${'x'.repeat(200)}`;
    prometheus('/api/v1/query', 503, { status: 'error', errorType: 'unavailable', error: 'down' });
    const error = await failure(source().query(long), 'UNAVAILABLE');
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('…');
    expect(error.message.length).toBeLessThan(250);
    expect(error.details).toMatchObject({ query: long });
  });
});

describe('prometheus source: very large answers', () => {
  /** A valid vector answer of as many series (one per pod of an unaggregated query) as fit in `bytes`, and one more. */
  function vectorOfAbout(bytes: number, fit: 'over' | 'within'): string {
    const head = '{"status":"success","data":{"resultType":"vector","result":[';
    const tail = ']}}';
    const samples: string[] = [];
    let length = head.length + tail.length;
    for (let i = 0; length <= bytes; i++) {
      const sample = `${i === 0 ? '' : ','}{"metric":{"pod":"ranker-${i}"},"value":[1795311891.52,"0.01"]}`;
      samples.push(sample);
      length += sample.length;
    }
    if (fit === 'within') samples.pop();
    return head + samples.join('') + tail;
  }

  it('refuses an answer over the limit, asking for an aggregated query, rather than reading it whole', async () => {
    const body = vectorOfAbout(MAX_ANSWER_BYTES, 'over');
    expect(body.length).toBeGreaterThan(MAX_ANSWER_BYTES);
    prometheus('/api/v1/query', 200, body);
    const error = await failure(source().query('model_error_ratio'), 'BAD_REQUEST');
    expect(error.message).toContain('"model_error_ratio"');
    expect(error.message).toContain('over 16 MiB');
    expect(error.hint).toMatch(/^aggregate the query/);
  });

  it('reads an answer at the limit', async () => {
    const body = vectorOfAbout(MAX_ANSWER_BYTES, 'within');
    expect(body.length).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    prometheus('/api/v1/query', 200, body);
    const { samples } = await source().query('model_error_ratio');
    expect(samples.length).toBeGreaterThan(100_000);
  });

  it('says what an oversized error answer was without reading it', async () => {
    prometheus('/api/v1/query', 502, `<html>${'x'.repeat(MAX_ANSWER_BYTES)}</html>`);
    const error = await failure(source().query('up'), 'UNAVAILABLE');
    expect(error.message).toContain('HTTP 502: an answer of over 16 MiB, not read');
  });
});

describe('prometheus source: real sockets', () => {
  async function listen(server: Server): Promise<string> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    nock.enableNetConnect('127.0.0.1');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('gives up on a Prometheus that never answers after timeoutMs', async () => {
    const server = createServer(() => undefined);
    try {
      const url = await listen(server);
      const error = await failure(createPrometheusSource({ url, timeoutMs: 200 }).query('up'), 'UNAVAILABLE');
      expect(error.message).toContain('no answer');
      expect(error.message).toContain('200ms');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  /**
   * A front (an ingress forcing https, say) that redirects `/old/…` to `/new/…` with `status`, and behind it a
   * Prometheus that answers as 2.42 does: a POST with a query, or a 400 for a request without one.
   */
  function redirecting(status: number): Server {
    return createServer((req, res) => {
      if (req.url?.startsWith('/old/')) {
        res.writeHead(status, { location: req.url.replace('/old/', '/new/') });
        res.end();
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const asked = new URLSearchParams(body).get('query');
        res.writeHead(asked ? 200 : 400, JSON_HEADERS);
        res.end(
          asked
            ? fixture('query-empty.json')
            : JSON.stringify({
                status: 'error',
                errorType: 'bad_data',
                error: 'invalid parameter "query": 1:1: parse error: no expression found in input',
              }),
        );
      });
    });
  }

  it('gives up on a Prometheus that sends its headers and part of a body, then stalls', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, JSON_HEADERS);
      res.write('{"status":"success","data":{"resultType":"vector","result":[');
    });
    try {
      const url = await listen(server);
      const error = await failure(createPrometheusSource({ url, timeoutMs: 200 }).query('up'), 'UNAVAILABLE');
      expect(error.message).toContain('no answer from');
      expect(error.message).toContain('within 200ms');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('stops reading an answer that never ends once it is over the limit, before the timeout', async () => {
    const chunk = Buffer.alloc(1024 * 1024, ' ');
    const server = createServer((_req, res) => {
      res.writeHead(200, JSON_HEADERS);
      const pour = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pour);
      pour();
    });
    try {
      const url = await listen(server);
      const error = await failure(
        createPrometheusSource({ url, timeoutMs: 20_000 }).query('up'),
        'BAD_REQUEST',
      );
      expect(error.message).toContain('over 16 MiB');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('blames PROMETHEUS_URL, not the runbook, when a 301 redirect turned the query into a GET without it', async () => {
    const server = redirecting(301);
    try {
      const url = await listen(server);
      const error = await failure(
        createPrometheusSource({ url: `${url}/old/`, timeoutMs: 2_000 }).query('up'),
        'UNAVAILABLE',
      );
      expect(error.message).toContain(`redirected to ${url}/new/api/v1/query`);
      expect(error.message).toContain('no expression found in input');
      expect(error.hint).toMatch(/^set PROMETHEUS_URL to the address it redirects to/);
    } finally {
      server.close();
    }
  });

  it('still follows a redirect that keeps the POST (308)', async () => {
    const server = redirecting(308);
    try {
      const url = await listen(server);
      const answer = await createPrometheusSource({ url: `${url}/old/`, timeoutMs: 2_000 }).query('up');
      expect(answer).toStrictEqual({ samples: [], warnings: [] });
    } finally {
      server.close();
    }
  });

  it('reports a closed port (undici hides ECONNREFUSED in the cause) as UNAVAILABLE', async () => {
    const server = createServer();
    const url = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await failure(createPrometheusSource({ url, timeoutMs: 2_000 }).query('up'), 'UNAVAILABLE');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.hint).toContain('PROMETHEUS_URL');
  });
});
