import { ServingError } from '../../core/errors.js';
import { requestJson } from '../request.js';
import { endpointResource, vertexApiUrl, type VertexConfig } from './config.js';
import { vertexError } from './errors.js';
import type { GoogleTokenSource } from './google-token.js';
import { endpointSchema, type Endpoint } from './state.js';

/** The two Vertex calls the adapter makes on one endpoint. */
export interface VertexEndpointClient {
  get(): Promise<Endpoint>;
  /** All traffic to one deployed model (the others get none), guarded by the etag of the read it follows. */
  sendAllTraffic(deployedModelId: string, etag: string | undefined): Promise<Endpoint>;
}

export function createVertexEndpointClient(options: {
  config: VertexConfig;
  tokens: GoogleTokenSource;
  timeoutMs: number;
}): VertexEndpointClient {
  const { config, tokens, timeoutMs } = options;
  const resource = endpointResource(config);
  const url = `${vertexApiUrl(config)}/v1/${resource}`;

  async function send(method: 'GET' | 'PATCH', what: string, query = '', body?: unknown): Promise<Endpoint> {
    const token = await tokens.token();
    let answer: unknown;
    try {
      ({ body: answer } = await requestJson({
        method,
        url: `${url}${query}`,
        headers: { authorization: `Bearer ${token}` },
        body,
        timeoutMs,
        what: `Vertex ${what}`,
      }));
    } catch (error) {
      throw vertexError(error, { config, source: tokens.describe(), token });
    }
    const parsed = endpointSchema.safeParse(answer ?? {});
    if (!parsed.success) {
      throw new ServingError(`Vertex ${what}: unexpected answer: ${JSON.stringify(answer)?.slice(0, 200)}`, {
        transient: false,
        hint: 'check serving.apiUrl: it must be the Vertex AI API (https://{location}-aiplatform.googleapis.com)',
      });
    }
    return parsed.data;
  }

  return {
    get: () => send('GET', `GET ${resource}`),
    sendAllTraffic: (id, etag) =>
      send('PATCH', `PATCH ${resource} trafficSplit {${id}: 100}`, '?updateMask=traffic_split', {
        trafficSplit: { [id]: 100 },
        ...(etag === undefined ? {} : { etag }),
      }),
  };
}
