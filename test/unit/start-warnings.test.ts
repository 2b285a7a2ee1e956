/**
 * A serving layer that reads a variable the bot's environment does not set fails at its first rollback: the
 * operator must hear it when the bot starts, not at 2am. `rollbot validate` warns of the same variables.
 */
import { describe, expect, it } from 'vitest';
import { RunbookSet } from '../../src/engine/runbook-set.js';
import { parseRunbook } from '../../src/runbooks/load.js';
import type { Runbook } from '../../src/runbooks/schema.js';
import { compositionWarnings } from '../../src/start-warnings.js';
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
