/**
 * A serving layer that reads a variable the bot's environment does not set fails at its first rollback: the
 * operator must hear it when the bot starts, not at 2am. `rollbot validate` warns of the same variables.
 */
import { describe, expect, it } from 'vitest';
import { RunbookSet } from '../../src/engine/runbook-set.js';
import { parseRunbook } from '../../src/runbooks/load.js';
import type { Runbook } from '../../src/runbooks/schema.js';
import { compositionWarnings, unsetVariables } from '../../src/start-warnings.js';
import { runbookYaml } from '../helpers/engine.js';

const HTTP_SERVING = [
  'serving:',
  '  adapter: http',
  '  env: [ROUTER_TOKEN]',
  '  rollback: { method: POST, url: "https://router.example.com/switch", headers: { authorization: "Bearer {{env.ROUTER_TOKEN}}" }, body: { to: "{{to}}" } }',
].join('\n');

function httpRunbook(model: string): Runbook {
  const yaml = runbookYaml(model).replace(/^serving:.*$/m, HTTP_SERVING);
  const result = parseRunbook(yaml, `${model}.yml`);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.runbook;
}

const STORE = { redisUrl: 'redis://127.0.0.1:6379' };

describe('the warnings of a starting bot', () => {
  it('name each serving variable that is unset, with the model and field that need it', () => {
    const runbooks = new RunbookSet([httpRunbook('fraud-scorer')]);
    expect(compositionWarnings(STORE, runbooks, undefined, {})).toEqual([
      'fraud-scorer: serving.env needs ROUTER_TOKEN, which is not set: rollbacks through this serving layer fail ' +
        'without it. Set ROUTER_TOKEN on every replica.',
    ]);
  });

  it('say nothing of it once it is set', () => {
    const runbooks = new RunbookSet([httpRunbook('fraud-scorer')]);
    expect(compositionWarnings(STORE, runbooks, undefined, { ROUTER_TOKEN: 's3cret' })).toEqual([]);
  });

  it.each([[''], ['  ']])(
    'take a serving variable set to %j as unset, as the serving layer does',
    (blank) => {
      const runbooks = new RunbookSet([httpRunbook('fraud-scorer')]);
      expect(compositionWarnings(STORE, runbooks, undefined, { ROUTER_TOKEN: blank })).toEqual([
        'fraud-scorer: serving.env needs ROUTER_TOKEN, which is not set: rollbacks through this serving layer fail ' +
          'without it. Set ROUTER_TOKEN on every replica.',
      ]);
    },
  );
});

describe('the unset variables of runbooks', () => {
  it('say what each is for where the entry is made, so that start-up picks the serving ones by kind', () => {
    const yaml = runbookYaml(
      'fraud-scorer',
      [
        'paging: { provider: pagerduty, routingKeyEnv: FRAUD_PD_KEY }',
        'triage: { checks: [{ name: errors, kind: error, query: "sum(x)", max: 0.1 }] }',
        'drill: { schedule: quarterly, serving: { adapter: mlflow, trackingUri: "https://mlflow.example.com", registeredModel: m, tokenEnv: MLFLOW_TOKEN } }',
      ].join('\n'),
    ).replace(/^serving:.*$/m, HTTP_SERVING);
    const parsed = parseRunbook(yaml, 'fraud-scorer.yml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const entries = unsetVariables([parsed.runbook], {}).map(({ kind, field, name }) => ({
      kind,
      field,
      name,
    }));
    expect(entries).toEqual([
      { kind: 'paging', field: 'paging.routingKeyEnv', name: 'FRAUD_PD_KEY' },
      { kind: 'metrics', field: 'triage.checks', name: 'PROMETHEUS_URL' },
      { kind: 'serving', field: 'serving.env', name: 'ROUTER_TOKEN' },
      { kind: 'serving', field: 'drill.serving.tokenEnv', name: 'MLFLOW_TOKEN' },
    ]);
  });
});
