import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { EngineDeps } from '../engine/context.js';
import { runDrillNow } from '../engine/drill-start.js';
import { drillListings } from '../scheduling/drills.js';
import { requireApiToken } from './api-writes.js';
import { sendJson } from './errors.js';
import { readJson } from './request.js';
import { caller } from './fields.js';
import { modelNameOf } from '../core/names.js';
import { parseBody } from './validate.js';

const drillBody = z.strictObject({
  model: z.string().min(1).overwrite(modelNameOf),
  /** Plan only, whatever the runbook's drill target (`rollbot drill run --dry-run`). */
  dryRun: z.boolean().default(false),
  /** Who asked, for the timeline. */
  requestedBy: caller('requestedBy', 'asks for the drill'),
});

/** `GET /api/drills`: every model's drill schedule, next runs and last results. */
export function drillsRoute(deps: EngineDeps) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    sendJson(res, 200, { drills: await drillListings(deps) });
  };
}

/**
 * `POST /api/drills`: rehearse a model's rollback now, deciding at once, as `rollbot drill run` does. Answers
 * when the rollback path has ended: 200 with the drill's incident and its scorecard (`result.outcome` says
 * whether it passed: a failed drill is a finding, not a failed request).
 */
export function drillRunRoute(deps: EngineDeps, apiToken: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(drillBody, await readJson(req), 'drill request');
    sendJson(res, 200, await runDrillNow(deps, body.model, { by: body.requestedBy, dryRun: body.dryRun }));
  };
}
