import type { EngineDeps } from '../../src/engine/context.js';
import type { Notifier } from '../../src/engine/notifier-port.js';
import { createLogger } from '../../src/observability/logger.js';
import { createPagingNotifier } from '../../src/paging/notifier.js';
import type { Pager } from '../../src/paging/types.js';

/**
 * `deps` whose notifier pages through `pager` around `inner` (deps' own notifier unless given), every hour a
 * paging hour (UTC): the engine as production composes it, with a stand-in pager.
 */
export function pagingThrough(deps: EngineDeps, pager: Pager, inner: Notifier = deps.notifier): EngineDeps {
  return {
    ...deps,
    notifier: createPagingNotifier({
      inner,
      pagerFor: () => ({ pager, hours: { timezone: 'UTC' } }),
      clock: deps.clock,
      logger: createLogger({ level: 'silent' }),
    }),
  };
}
