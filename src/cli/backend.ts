/**
 * The CLI's two ways of reaching rollbot (cli.ts picks one): a running bot over its HTTP API (remote-backend.ts)
 * or the engine in this process on the configured store (local-backend.ts), both answering backend-port.ts.
 */
export type { Backend } from './backend-port.js';
export { remoteBackend } from './remote-backend.js';
export { assertRedisReachable, localBackend } from './local-backend.js';
