/** The runbook's `serving: {adapter: vertex}` block: checked when the runbook loads, each problem naming its field. */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { formatProblem } from '../../../src/runbooks/problems.js';
import type { ServingConfig } from '../../../src/runbooks/serving.js';
import { createServingFactory, servingCredentialProblems } from '../../../src/serving/index.js';

const runbook = (serving: string) =>
  `model: m\nowner: "@ml"\nchannel: C0TEST0001\ntier: 3\nserving: ${serving}\n`;

function servingOf(serving: string): ServingConfig {
  const result = parseRunbook(runbook(serving), 'm.yml');
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.runbook.serving;
}

function problemsOf(serving: string): string[] {
  const result = parseRunbook(runbook(serving), 'm.yml');
  return result.ok ? [] : result.problems.map(formatProblem);
}

const block = (fields: string) => `{ adapter: vertex, ${fields} }`;
const GOOD = 'project: ml-prod, location: us-central1, endpoint: "1234567890123456789"';

describe('the vertex serving block', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());

  it('loads project, location and endpoint, and the factory builds the adapter on the regional API host', async () => {
    const serving = servingOf(block(GOOD));
    expect(serving).toEqual({
      adapter: 'vertex',
      project: 'ml-prod',
      location: 'us-central1',
      endpoint: '1234567890123456789',
    });
    const adapter = createServingFactory({ env: { GCE_METADATA_HOST: 'metadata.test' } })(serving, {
      model: 'm',
    });
    expect(adapter.kind).toBe('vertex');
    expect(adapter.target).toBe(
      'vertex projects/ml-prod/locations/us-central1/endpoints/1234567890123456789',
    );
    nock('http://metadata.test')
      .get(/token$/)
      .reply(200, { access_token: 'tok', expires_in: 3600 });
    nock('https://us-central1-aiplatform.googleapis.com')
      .get('/v1/projects/ml-prod/locations/us-central1/endpoints/1234567890123456789')
      .reply(200, { deployedModels: [{ id: '1', modelVersionId: '4' }], trafficSplit: { '1': 100 } });
    expect((await adapter.state()).current).toBe('4');
  });

  it('takes an endpoint ID chosen at creation, and apiUrl for a private or test host', () => {
    const serving = servingOf(
      block(
        'project: ml-prod, location: europe-west4, endpoint: fraud-prod, apiUrl: "http://localhost:9090"',
      ),
    );
    expect(serving).toMatchObject({ endpoint: 'fraud-prod', apiUrl: 'http://localhost:9090' });
  });

  it('takes model, the registry model a version no longer deployed is deployed again from; blank is unset', () => {
    expect(servingOf(block(`${GOOD}, model: "5551234"`))).toMatchObject({ model: '5551234' });
    expect(servingOf(block(`${GOOD}, model: fraud_scorer-v2`))).toMatchObject({ model: 'fraud_scorer-v2' });
    expect((servingOf(block(`${GOOD}, model: " "`)) as { model?: string }).model).toBeUndefined();
  });

  it.each([
    [
      'model: "projects/ml-prod/locations/us-central1/models/555@3"',
      'serving.model: write the model ID alone (555), not its resource name or a version',
    ],
    ['model: "fraud scorer"', 'serving.model: "fraud scorer" is not a Vertex model ID'],
    [
      'model: 1234567890123456789',
      'serving.model: write the model ID in quotes, like model: "1234567890123456789"',
    ],
    [
      'location: us-central1-a',
      'serving.location: expected a Vertex region like us-central1 or europe-west4 (a region, not a zone like us-central1-a)',
    ],
    ['location: "  "', 'serving.location'],
    [
      'project: "ML Prod"',
      'serving.project: expected a Google Cloud project ID like ml-prod-123456 (or a project number)',
    ],
    [
      'endpoint: "projects/ml-prod/locations/us-central1/endpoints/123"',
      'serving.endpoint: write the endpoint ID alone (123), not its resource name',
    ],
    ['endpoint: "Fraud Prod"', 'serving.endpoint: "Fraud Prod" is not a Vertex endpoint ID'],
    ['apiUrl: "ftp://x"', 'serving.apiUrl: expected an http(s) URL'],
    [
      'apiUrl: "https://u:secret@vertex.internal"',
      'serving.apiUrl: the password in its user info is a secret written in the runbook',
    ],
  ])('refuses %s, naming the field', (change, said) => {
    const key = change.split(':')[0] ?? '';
    const fields = GOOD.split(', ')
      .filter((field) => !field.startsWith(`${key}:`))
      .concat(change)
      .join(', ');
    const problems = problemsOf(block(fields));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(said);
  });

  it('asks for quotes around an endpoint ID or project number written as a YAML number', () => {
    // Unquoted, YAML reads 1234567890123456789 as 1234567890123456800: the wrong endpoint, or none.
    expect(
      problemsOf(block('project: ml-prod, location: us-central1, endpoint: 1234567890123456789')),
    ).toEqual([
      'm.yml:5: serving.endpoint: write the endpoint ID in quotes, like endpoint: "1234567890123456789": unquoted, YAML reads it as a number, and a long one loses its last digits',
    ]);
    expect(problemsOf(block('project: 123456789012, location: us-central1, endpoint: "1"'))).toEqual([
      'm.yml:5: serving.project: write the project number in quotes, like project: "123456789012": unquoted, YAML reads it as a number, and a long one loses its last digits',
    ]);
  });

  it('refuses a block without an endpoint', () => {
    expect(problemsOf(block('project: ml-prod, location: us-central1'))).toEqual([
      expect.stringContaining('serving.endpoint'),
    ]);
  });

  it('is checked for Google credentials at start-up: a note when the metadata server will be asked', () => {
    const problems = servingCredentialProblems(servingOf(block(GOOD)), {}, () => '');
    expect(problems).toEqual([expect.objectContaining({ level: 'note' })]);
  });
});
