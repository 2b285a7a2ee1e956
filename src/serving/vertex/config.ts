import { z } from 'zod';
import { optionalText, requiredText } from '../../runbooks/fields.js';
import { urlCredentials } from '../url-credentials.js';

/**
 * A Google Cloud project ID (6–30 lower-case letters, digits and hyphens, starting with a letter; legacy
 * domain-scoped ones carry `example.com:`) or a project number, as the Vertex API takes either.
 */
const PROJECT = /^(?:(?:[a-z0-9-]+\.)+[a-z]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$|^\d+$/;
/** A Vertex region such as us-central1 or europe-west4: Endpoints are regional, and the host is `<region>-aiplatform`. */
const LOCATION = /^[a-z]+(?:-[a-z]+)+\d+$/;
/** Vertex's own model IDs are numbers; IDs chosen at upload are letters, digits, hyphens and underscores. */
const MODEL = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Vertex's own endpoint IDs are numbers; IDs chosen at creation are lower-case letters, digits and hyphens. */
const ENDPOINT = /^(?:\d+|[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)$/;

/**
 * An ID that is all digits, which YAML reads as a number when it is not quoted: refused with the quotes to add,
 * because a 19-digit endpoint ID read as a number has already lost its last digits (1234567890123456789 becomes
 * 1234567890123456800), so no conversion can give the right one back.
 */
function quotedId<T extends z.ZodType>(field: string, what: string, example: string, schema: T) {
  return z.preprocess((input, ctx) => {
    if (typeof input === 'number') {
      ctx.issues.push({
        code: 'custom',
        input,
        message: `write ${what} in quotes, like ${field}: "${example}": unquoted, YAML reads it as a number, and a long one loses its last digits`,
      });
    }
    return input;
  }, schema);
}

/**
 * `serving: {adapter: vertex, …}`: a Vertex AI online prediction endpoint. Each field's format is checked once it
 * is known not to be blank (pipe), so that a blank one gets one problem, not two.
 */
export const vertexConfig = z.strictObject({
  adapter: z.literal('vertex'),
  project: quotedId(
    'project',
    'the project number',
    '123456789012',
    requiredText('the Google Cloud project ID, like ml-prod-123456').pipe(
      z
        .string()
        .regex(PROJECT, 'expected a Google Cloud project ID like ml-prod-123456 (or a project number)'),
    ),
  ),
  location: requiredText('the Vertex region of the endpoint, like us-central1').pipe(
    z
      .string()
      .regex(
        LOCATION,
        'expected a Vertex region like us-central1 or europe-west4 (a region, not a zone like us-central1-a)',
      ),
  ),
  endpoint: quotedId(
    'endpoint',
    'the endpoint ID',
    '1234567890123456789',
    requiredText('the endpoint ID, like 1234567890123456789').pipe(
      z.string().superRefine((text, ctx) => {
        if (ENDPOINT.test(text)) return;
        const written = /\/endpoints\/([^/]+)$/.exec(text)?.[1];
        ctx.addIssue({
          code: 'custom',
          input: text,
          message:
            written === undefined
              ? `"${text}" is not a Vertex endpoint ID: write the ID gcloud ai endpoints list shows, like 1234567890123456789`
              : `write the endpoint ID alone (${written}), not its resource name: project and location have their own fields`,
        });
      }),
    ),
  ),
  /**
   * The registry model whose versions the endpoint serves, for a rollback that deploys a version again when the
   * deployed models do not say it (none deployed, or versions of different models); by default theirs.
   */
  model: optionalText(
    quotedId(
      'model',
      'the model ID',
      '1234567890123456789',
      z
        .string()
        .superRefine((text, ctx) => {
          if (MODEL.test(text)) return;
          const written = /\/models\/([^/@]+)(?:@[^/]*)?$/.exec(text)?.[1];
          ctx.addIssue({
            code: 'custom',
            input: text,
            message:
              written === undefined
                ? `"${text}" is not a Vertex model ID: write the ID gcloud ai models list shows, like 1234567890123456789`
                : `write the model ID alone (${written}), not its resource name or a version: the version is the rollback target`,
          });
        })
        .optional(),
    ),
  ),
  /** Another API host (a private endpoint, a test server); by default https://{location}-aiplatform.googleapis.com. */
  apiUrl: optionalText(
    z
      .url({
        protocol: /^https?$/,
        error: 'expected an http(s) URL like https://us-central1-aiplatform.googleapis.com',
      })
      .superRefine((url, ctx) => {
        for (const where of urlCredentials(url)) {
          ctx.addIssue({
            code: 'custom',
            input: url,
            message: `${where} is a secret written in the runbook: rollbot authenticates with Google credentials (GOOGLE_APPLICATION_CREDENTIALS or the metadata server); remove it from apiUrl`,
          });
        }
      })
      .optional(),
  ),
});

export type VertexConfig = z.output<typeof vertexConfig>;

/** The API host the runbook names, else the endpoint's regional one. */
export function vertexApiUrl(config: Pick<VertexConfig, 'location' | 'apiUrl'>): string {
  return (config.apiUrl ?? `https://${config.location}-aiplatform.googleapis.com`).replace(/\/+$/, '');
}

/** `projects/p/locations/l/models/m`, the registry model the runbook names. */
export function modelResource(config: Pick<VertexConfig, 'project' | 'location'>, model: string): string {
  return `projects/${config.project}/locations/${config.location}/models/${model}`;
}

/** `projects/p/locations/l/endpoints/e`, as the API and gcloud name it. */
export function endpointResource(config: Pick<VertexConfig, 'project' | 'location' | 'endpoint'>): string {
  return `projects/${config.project}/locations/${config.location}/endpoints/${config.endpoint}`;
}
