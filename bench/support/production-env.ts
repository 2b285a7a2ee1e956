import { readFileSync } from 'node:fs';

/** The variables the production image sets for the Node runtime; the bench runs rollbot with the same. */
const RUNTIME_VARIABLES = ['NODE_ENV', 'NODE_OPTIONS', 'MALLOC_ARENA_MAX'] as const;

/**
 * Reads the runtime settings from the Dockerfile's `ENV` lines, so that the bench measures rollbot as it is
 * shipped and the settings are decided in one place. Fails loudly when one is missing: a bench run without
 * them would report figures production does not have.
 */
export function productionRuntimeEnv(
  dockerfile = new URL('../../Dockerfile', import.meta.url),
): Record<string, string> {
  const text = readFileSync(dockerfile, 'utf8');
  const found: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('ENV ')) continue;
    // NAME=value pairs; a value with spaces is double-quoted, as Docker's ENV takes it.
    for (const [, name, quoted, bare] of line.slice(4).matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)) {
      if (name) found[name] = quoted ?? bare ?? '';
    }
  }
  const env: Record<string, string> = {};
  for (const name of RUNTIME_VARIABLES) {
    const value = found[name];
    if (value === undefined)
      throw new Error(`the Dockerfile sets no ${name}; the bench runs rollbot as the image does`);
    env[name] = value;
  }
  return env;
}
