/** The Vertex adapter's tests' endpoint, token and nock: endpoint 1234567890 of ml-prod in us-central1. */
import nock from 'nock';
import type { ServingState } from '../../src/engine/serving-port.js';
import { createVertexAdapter } from '../../src/serving/vertex/adapter.js';
import { vertexConfig } from '../../src/serving/vertex/config.js';

export const HOST = 'https://us-central1-aiplatform.googleapis.com';
export const ENDPOINT = 'projects/ml-prod/locations/us-central1/endpoints/1234567890';
export const PATH = `/v1/${ENDPOINT}`;
export const TOKEN = 'ya29.test-access-token';
export const MODEL = 'projects/ml-prod/locations/us-central1/models/555';

const base = { adapter: 'vertex', project: 'ml-prod', location: 'us-central1', endpoint: '1234567890' };
export const config = vertexConfig.parse(base);
const tokens = { token: () => Promise.resolve(TOKEN), describe: () => 'the service account rollbot@ml-prod' };

/** The adapter for the endpoint, its runbook block with `fields` added, with a ready access token. */
export const adapter = (fields: Record<string, unknown> = {}) =>
  createVertexAdapter(vertexConfig.parse({ ...base, ...fields }), {
    model: 'fraud-scorer',
    env: {},
    tokens,
    timeoutMs: 2000,
  });

/** Vertex's API as nock expects it to be called: with the token. */
export const vertex = () => nock(HOST, { reqheaders: { authorization: `Bearer ${TOKEN}` } });

/** One GET of the endpoint, answered with `body`. */
export const read = (body: unknown) =>
  vertex()
    .get(PATH)
    .reply(200, body as nock.Body);

/** Version 3 serves; version 2 is deployed at 0 %. */
export const onV3: ServingState = {
  current: '3',
  traffic: [
    { version: '3', percent: 100 },
    { version: '2', percent: 0 },
  ],
  rolloutInProgress: false,
  settled: true,
  summary: '',
};
