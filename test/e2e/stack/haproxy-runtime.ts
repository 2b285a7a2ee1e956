/**
 * haproxy's runtime API over its admin stats socket: one command per connection (the non-interactive mode),
 * the answer is everything haproxy writes before closing.
 */
import { createConnection } from 'node:net';

export function runtimeCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    let answer = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`haproxy did not answer "${command}" in 5 s`)));
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

export interface ServerState {
  /** The server's name in the backend, which is the model version it serves. */
  name: string;
  /** Running (`srv_op_state` 2) with a weight above 0: haproxy sends it new requests. */
  serving: boolean;
  opState: number;
  adminState: number;
  weight: number;
}

/** `show servers state <backend>`: a version line, a `# name name …` header, then one line per server. */
export async function serverStates(socketPath: string, backend: string): Promise<ServerState[]> {
  const answer = await runtimeCommand(socketPath, `show servers state ${backend}`);
  const lines = answer.split('\n').filter((line) => line.trim() !== '');
  const header = lines.find((line) => line.startsWith('#'));
  if (!header) throw new Error(`unexpected answer from haproxy: ${answer.trim() || '(nothing)'}`);
  const columns = header.slice(1).trim().split(/\s+/);
  return lines
    .filter((line) => !line.startsWith('#') && line.includes(' '))
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      const field = (name: string): string => fields[columns.indexOf(name)] ?? '';
      const opState = Number(field('srv_op_state'));
      const weight = Number(field('srv_uweight'));
      return {
        name: field('srv_name'),
        serving: opState === 2 && weight > 0,
        opState,
        adminState: Number(field('srv_admin_state')),
        weight,
      };
    });
}

/** Runs a command that answers nothing on success (`set server …`); anything it says is an error. */
async function expectSilence(socketPath: string, command: string): Promise<void> {
  const answer = (await runtimeCommand(socketPath, command)).trim();
  if (answer !== '') throw new Error(`haproxy refused "${command}": ${answer}`);
}

/**
 * Moves all traffic of `backend` to the server named `version`: it is made ready first, then every other server
 * goes into maintenance and its open sessions are cut, so that no request is left on the old version.
 */
export async function switchTraffic(socketPath: string, backend: string, version: string): Promise<string[]> {
  const servers = await serverStates(socketPath, backend);
  if (!servers.some((server) => server.name === version)) {
    const known = servers.map((server) => server.name).join(', ');
    throw new Error(`backend ${backend} has no server ${version} (it has ${known})`);
  }
  await expectSilence(socketPath, `set server ${backend}/${version} state ready`);
  const others = servers.filter((server) => server.name !== version).map((server) => server.name);
  for (const other of others) {
    await expectSilence(socketPath, `set server ${backend}/${other} state maint`);
    await expectSilence(socketPath, `shutdown sessions server ${backend}/${other}`);
  }
  return others;
}
