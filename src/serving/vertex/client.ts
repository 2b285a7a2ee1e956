import { z } from 'zod';
import { ServingError } from '../../core/errors.js';
import { requestJson } from '../request.js';
import { endpointResource, vertexApiUrl, type VertexConfig } from './config.js';
import { vertexError, type VertexCallKind } from './errors.js';
import type { GoogleTokenSource } from './google-token.js';
import { operationSchema, type DeployModelRequest, type Operation } from './operation.js';
import { endpointSchema, type Endpoint } from './state.js';

/** The Vertex calls the adapter makes on one endpoint. */
export interface VertexEndpointClient {
  get(): Promise<Endpoint>;
  /** All traffic to one deployed model (the others get none), guarded by the etag of the read it follows. */
  sendAllTraffic(deployedModelId: string, etag: string | undefined): Promise<Endpoint>;
  /** Starts deploying a model version on the endpoint: a long-running operation. */
  deployModel(request: DeployModelRequest): Promise<Operation>;
  /** Reads a long-running operation by the name deployModel answered. */
  operation(name: string): Promise<Operation>;
  /**
   * Reads a registry model version (GetModel of `{model}@{version}`): a ServingError saying so when there is none.
   */
  modelVersion(model: string, version: string): Promise<ModelVersion>;
}

/** What GetModel answers, as far as rollbot reads it: only that it answered matters. */
const modelVersionSchema = z.object({ name: z.string().optional(), versionId: z.string().optional() });
type ModelVersion = z.output<typeof modelVersionSchema>;

export function createVertexEndpointClient(options: {
  config: VertexConfig;
  tokens: GoogleTokenSource;
  timeoutMs: number;
}): VertexEndpointClient {
  const { config, tokens, timeoutMs } = options;
  const resource = endpointResource(config);
  const api = `${vertexApiUrl(config)}/v1`;

  async function send<T extends z.ZodType>(
    call: {
      method: 'GET' | 'PATCH' | 'POST';
      path: string;
      what: string;
      kind: VertexCallKind;
      body?: unknown;
      modelVersion?: { model: string; version: string };
    },
    schema: T,
  ): Promise<z.output<T>> {
    const token = await tokens.token();
    let answer: unknown;
    try {
      ({ body: answer } = await requestJson({
        method: call.method,
        url: `${api}/${call.path}`,
        headers: { authorization: `Bearer ${token}` },
        body: call.body,
        timeoutMs,
        what: `Vertex ${call.what}`,
      }));
    } catch (error) {
      throw vertexError(error, {
        config,
        source: tokens.describe(),
        token,
        kind: call.kind,
        ...(call.modelVersion === undefined ? {} : { modelVersion: call.modelVersion }),
      });
    }
    const parsed = schema.safeParse(answer ?? {});
    if (!parsed.success) {
      throw new ServingError(
        `Vertex ${call.what}: unexpected answer: ${JSON.stringify(answer)?.slice(0, 200)}`,
        {
          transient: false,
          hint: 'check serving.apiUrl: it must be the Vertex AI API (https://{location}-aiplatform.googleapis.com)',
        },
      );
    }
    return parsed.data;
  }

  return {
    get: () =>
      send({ method: 'GET', path: resource, what: `GET ${resource}`, kind: 'endpoint' }, endpointSchema),
    sendAllTraffic: (id, etag) =>
      send(
        {
          method: 'PATCH',
          path: `${resource}?updateMask=traffic_split`,
          what: `PATCH ${resource} trafficSplit {${id}: 100}`,
          kind: 'endpoint',
          body: { trafficSplit: { [id]: 100 }, ...(etag === undefined ? {} : { etag }) },
        },
        endpointSchema,
      ),
    deployModel: (request) =>
      send(
        {
          method: 'POST',
          path: `${resource}:deployModel`,
          what: `POST ${resource}:deployModel ${request.deployedModel.model}`,
          kind: 'deploy',
          body: request,
        },
        operationSchema,
      ),
    operation: (name) =>
      send({ method: 'GET', path: name, what: `GET ${name}`, kind: 'operation' }, operationSchema),
    modelVersion: (model, version) =>
      send(
        {
          method: 'GET',
          // The version is a rollback target as typed: escaped, so that it can only name a version of this model.
          path: `${model}@${encodeURIComponent(version)}`,
          what: `GET ${model}@${version}`,
          kind: 'model',
          modelVersion: { model, version },
        },
        modelVersionSchema,
      ),
  };
}
