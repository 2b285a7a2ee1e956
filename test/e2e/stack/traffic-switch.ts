/**
 * The traffic layer's rollback tool, run by rollbot's `command` serving adapter (no shell):
 *
 *   traffic-switch.ts --socket <admin.sock> --backend <name> status        prints the version taking traffic
 *   traffic-switch.ts --socket <admin.sock> --backend <name> switch <v>    moves all traffic to version <v>
 *
 * `status` reads haproxy's own runtime state, so rollbot declares success only when haproxy routes to the
 * target. With several servers taking traffic it prints them joined by `+` (never equal to one version).
 */
import { parseArgs } from 'node:util';
import { serverStates, switchTraffic } from './haproxy-runtime.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { socket: { type: 'string' }, backend: { type: 'string' } },
    allowPositionals: true,
  });
  const [action, version] = positionals;
  if (!values.socket || !values.backend || (action !== 'status' && action !== 'switch')) {
    throw new Error('usage: traffic-switch.ts --socket <path> --backend <name> status | switch <version>');
  }
  if (action === 'status') {
    const serving = (await serverStates(values.socket, values.backend)).filter((server) => server.serving);
    console.log(serving.map((server) => server.name).join('+') || 'none');
    return;
  }
  if (!version) throw new Error('switch needs the version to move traffic to');
  const stopped = await switchTraffic(values.socket, values.backend, version);
  console.log(`${values.backend}: traffic on ${version}; in maintenance: ${stopped.join(', ') || 'none'}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
