/**
 * A universal adapter with no version to roll back to says how to name one that works for it: a command's
 * statusArgv reports only the current version (no previous), so pointing its user at "a status request that
 * reports the previous version" sends them after a setting the command adapter does not have.
 */
import { describe, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import type { ServingState } from '../../../src/engine/serving-port.js';
import { createCommandAdapter } from '../../../src/serving/command/adapter.js';
import { commandConfig } from '../../../src/serving/command/config.js';
import { createHttpAdapter } from '../../../src/serving/http/adapter.js';
import { httpConfig } from '../../../src/serving/http/config.js';

const onV3: ServingState = {
  current: 'v3',
  traffic: [{ version: 'v3', percent: 100 }],
  rolloutInProgress: false,
  settled: true,
  summary: '',
};

async function refusal(promise: Promise<unknown>): Promise<ServingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ServingError)) throw new Error(`expected a ServingError, got ${String(error)}`);
  return error;
}

describe('no version to roll back to', () => {
  it('command: names the ways a command adapter has (a named version, recorded deployments), not a status setting', async () => {
    const config = commandConfig.parse({
      adapter: 'command',
      argv: ['helm', 'rollback', 'fraud', '{{to}}'],
      statusArgv: ['helm-current', 'fraud'],
    });
    const adapter = createCommandAdapter(config, { model: 'fraud', env: {} });
    const error = await refusal(adapter.plan({ state: onV3 }));
    expect(error.message).toBe('command helm: no version to roll back to');
    expect(error.hint).toBe(
      'name the version (rollback <model> to <version>), or record deployments with POST /api/deployments',
    );
  });

  it('http with a status request but no previousPath: names previousPath', async () => {
    const config = httpConfig.parse({
      adapter: 'http',
      rollback: { url: 'https://router.internal/rollback', body: { to: '{{to}}' } },
      status: { url: 'https://router.internal/status', versionPath: 'active.version' },
    });
    const error = await refusal(createHttpAdapter(config, { model: 'fraud', env: {} }).plan({ state: onV3 }));
    expect(error.hint).toBe(
      "name the version (rollback <model> to <version>), record deployments with POST /api/deployments, or add previousPath to the status request if the router's answer holds the previous version",
    );
  });

  it('http without a status request: names a status request with previousPath', async () => {
    const config = httpConfig.parse({
      adapter: 'http',
      rollback: { url: 'https://router.internal/rollback', body: { to: '{{to}}' } },
    });
    const error = await refusal(
      createHttpAdapter(config, { model: 'fraud', env: {} }).plan({ state: { ...onV3, traffic: [] } }),
    );
    expect(error.hint).toBe(
      'name the version (rollback <model> to <version>), record deployments with POST /api/deployments, or add a status request with previousPath (the previous version in its answer)',
    );
  });
});
