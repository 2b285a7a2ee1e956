/**
 * What a Prometheus HTTP API answer's `data` may hold (a vector, a matrix, a scalar, a string), checked, and read
 * as the samples and series a check measures: what the metrics port's callers see of Prometheus' result types.
 */
import { z } from 'zod';
import type { RollbotError } from '../core/errors.js';
import type { Sample, Series } from '../engine/metrics-port.js';
import { unusableResult } from './errors.js';

/**
 * Sample values are strings so that NaN and ±Inf survive JSON. `Number()` reads "NaN" but not Go's "+Inf",
 * so the infinities are mapped explicitly; anything else unreadable fails validation.
 */
const sampleValue = z.string().transform((text, ctx) => {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const value = Number(text);
  if (text.trim() === '' || (Number.isNaN(value) && text !== 'NaN')) {
    ctx.issues.push({ code: 'custom', message: `not a sample value: ${JSON.stringify(text)}`, input: text });
    return z.NEVER;
  }
  return value;
});
/** `[<unix seconds, fractional>, "<value>"]` → epoch ms and number. */
const point = z
  .tuple([z.number(), sampleValue])
  .transform(([seconds, value]) => ({ at: Math.round(seconds * 1000), value }));
const labels = z.record(z.string(), z.string());
/** Native histograms are refused, so their inner shape does not matter here. */
const histogramPoint = z.tuple([z.number(), z.unknown()]);

/**
 * A list of results where `null` is Go's nil slice: an empty result as Prometheus 2.0 (`a or b` of two empty
 * vectors), 2.52 (`bottomk` of nothing over a range) and some query frontends send it. Refused, an empty
 * answer would read as "not from the Prometheus HTTP API" and blame PROMETHEUS_URL instead of being no data.
 */
const resultList = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullable()
    .transform((list) => list ?? []);

export const resultData = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('vector'),
    result: resultList(
      z.object({ metric: labels, value: point.optional(), histogram: histogramPoint.optional() }),
    ),
  }),
  z.object({
    resultType: z.literal('matrix'),
    result: resultList(
      z.object({
        metric: labels,
        values: z.array(point).optional(),
        histograms: z.array(histogramPoint).optional(),
      }),
    ),
  }),
  z.object({ resultType: z.literal('scalar'), result: point }),
  z.object({ resultType: z.literal('string'), result: z.tuple([z.number(), z.string()]) }),
]);
export type ResultData = z.infer<typeof resultData>;

/**
 * The moment an instant answer was evaluated at: Prometheus stamps a scalar, and every sample of a vector, with
 * it. A vector is read too, for look-alikes that answer `time()` with one.
 */
export function evaluatedAt(data: ResultData): number | undefined {
  if (data.resultType === 'scalar') return data.result.at;
  if (data.resultType === 'vector') return data.result.find((sample) => sample.value)?.value?.at;
  return undefined;
}

export function instantSamples(promql: string, data: ResultData): Sample[] {
  switch (data.resultType) {
    case 'scalar':
      return [{ labels: {}, value: data.result.value }];
    case 'vector':
      return data.result.map(({ metric, value }) => {
        if (value === undefined) throw histogramsRefused(promql);
        return { labels: metric, value: value.value };
      });
    case 'matrix':
      throw unusableResult(
        promql,
        'an instant query must return a vector or scalar, not a range vector',
        'wrap the range selector in a function, e.g. max_over_time(up[5m]) instead of up[5m]',
      );
    case 'string':
      throw stringRefused(promql);
  }
}

export function rangeSeries(promql: string, data: ResultData): Series[] {
  switch (data.resultType) {
    case 'matrix':
      return data.result.map(({ metric, values, histograms }) => {
        // Mixed float and histogram points in one series would leave gaps a check cannot see: refuse both.
        if (histograms !== undefined && histograms.length > 0) throw histogramsRefused(promql);
        return { labels: metric, points: values ?? [] };
      });
    // Prometheus answers range queries with a matrix only; the others are handled for look-alike servers.
    case 'vector':
      return data.result.map(({ metric, value }) => {
        if (value === undefined) throw histogramsRefused(promql);
        return { labels: metric, points: [value] };
      });
    case 'scalar':
      return [{ labels: {}, points: [data.result] }];
    case 'string':
      throw stringRefused(promql);
  }
}

function histogramsRefused(promql: string): RollbotError {
  return unusableResult(
    promql,
    'it returned native histograms, not floats',
    'the query must return floats: e.g. use histogram_quantile(…) or histogram_count(…)',
  );
}

function stringRefused(promql: string): RollbotError {
  return unusableResult(
    promql,
    'it returned a string, not numbers',
    'the query must return a vector or scalar',
  );
}
