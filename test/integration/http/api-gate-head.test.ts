/**
 * `HEAD /api/gate/:model` (an uptime checker, `curl -I`) answers as GET does, without its body, and without
 * GET's side effect: only a GET, CI's poll before a deployment, asks the channel for an approval.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordDeployment } from '../../../src/engine/deployments.js';
import { makeDeps, makeRunbook, type TestDeps } from '../../helpers/engine.js';
import { apiFetch, serveApp } from '../../helpers/http.js';

let server: Awaited<ReturnType<typeof serveApp>> | undefined;
afterEach(() => server?.close());

const requests = (deps: TestDeps) =>
  deps.notifier.ofType('channel.message').filter((event) => event.approveDeployment !== undefined);

describe('HEAD /api/gate/:model', () => {
  it('answers the status of a gate waiting for an approval without asking the channel; GET asks', async () => {
    const deps = makeDeps({ runbooks: [makeRunbook('fraud-scorer')] }); // tier 1
    await recordDeployment(deps, { model: 'fraud-scorer', version: 'v41', strategy: 'canary', by: 'ci' });
    server = await serveApp(deps);
    const url = `${server.url}/api/gate/fraud-scorer`;

    const probe = await apiFetch(url, { method: 'HEAD' });
    expect(probe.status).toBe(200);
    expect(probe.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await probe.text()).toBe('');
    expect(requests(deps)).toEqual([]);
    expect(deps.notifier.events).toEqual([]);

    const poll = await apiFetch(url);
    expect(await poll.json()).toMatchObject({ allowed: false, status: 'approval required' });
    expect(requests(deps)).toHaveLength(1);
  });
});
