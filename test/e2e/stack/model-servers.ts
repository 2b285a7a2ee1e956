import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/free-port.js';
import { startService } from '../../helpers/service-process.js';
import { REPO_ROOT } from './runbook.js';

const SCRIPT = fileURLToPath(new URL('./model-server.ts', import.meta.url));

export interface ModelServer {
  version: string;
  /** `host:port`, for haproxy and Prometheus. */
  address: string;
  /** Sets how badly it behaves from now on: share of requests failing, latency per request. */
  degrade(behaviour: { errorRate?: number; latencyMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** Starts one model-server process (model-server.ts) serving `version` of `model`. */
export async function startModelServer(model: string, version: string): Promise<ModelServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = await startService({
    name: `model server ${model} ${version}`,
    command: process.execPath,
    args: ['--import', 'tsx', SCRIPT, '--model', model, '--version', version, '--port', String(port)],
    debianPackage: 'nodejs',
    cwd: REPO_ROOT,
    readyWhen: { url: `${url}/healthz` },
  });
  return {
    version,
    address: `127.0.0.1:${port}`,
    async degrade(behaviour) {
      const response = await fetch(`${url}/control`, { method: 'POST', body: JSON.stringify(behaviour) });
      if (!response.ok) throw new Error(`model server ${version} refused /control: ${response.status}`);
      await response.body?.cancel();
    },
    stop: () => service.stop(),
  };
}
