import { RollbotError } from './core/errors.js';

/**
 * Why the bot cannot listen where HOST and PORT say, naming the variable to change, as loadConfig does for a value
 * it can tell is bad by itself: a port in use or a HOST that is no address here shows only when listening.
 */
export function listenError(error: NodeJS.ErrnoException, at: { host: string; port: number }): Error {
  const where = `cannot listen on ${at.host}:${at.port}`;
  const code = error.code ?? 'error';
  switch (error.code) {
    case 'EADDRINUSE':
      return new RollbotError('INVALID_CONFIG', `${where}: the port is in use by another process (${code})`, {
        hint: 'stop that process, or set PORT to a free port (0: any free one)',
        cause: error,
      });
    case 'EACCES':
      return new RollbotError('INVALID_CONFIG', `${where}: this user may not listen on that port (${code})`, {
        hint: 'set PORT to 1024 or above (the Service can map port 80 onto it)',
        cause: error,
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new RollbotError(
        'INVALID_CONFIG',
        `${where}: HOST is not an address of this machine (${code})`,
        {
          hint: 'set HOST to an address or name of this machine: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)',
          cause: error,
        },
      );
    default:
      return error;
  }
}
