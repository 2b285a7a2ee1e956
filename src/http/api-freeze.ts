import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { EngineDeps } from '../engine/context.js';
import { freezeDeployments, liftFreeze } from '../engine/freeze.js';
import type { GroupResolver } from '../engine/group-membership.js';
import { requireApiToken } from './api-writes.js';
import { sendJson } from './errors.js';
import { readJson } from './request.js';
import { approver } from './fields.js';
import { parseBody } from './validate.js';

const freezeBody = z.strictObject({
  /** An ISO time with its zone; the engine checks it is in the future and at most 30 days away. */
  until: z.string({ error: 'give the time the freeze ends, e.g. 2026-12-27T09:00:00Z' }),
  reason: z.string({ error: 'say why deployments must wait: a reason is required' }),
  frozenBy: approver('frozenBy', 'freezes'),
});

const unfreezeBody = z.strictObject({
  liftedBy: approver('liftedBy', 'lifts the freeze'),
  reason: z.string().trim().max(1000).optional(),
});

/**
 * `POST /api/gate/:model/freeze`: `{until, reason, frozenBy}` closes the gate of the model, or of every model for
 * `*`, until `until` (no override waives it). 400 for a bad `until` or no reason, 403 (recorded) for someone the
 * runbook — for `*`, every runbook — does not allow; a refusal stores nothing. A user group in rollback.approvers
 * is checked as for `…/override`.
 */
export function gateFreezeRoute(deps: EngineDeps, apiToken: string | undefined, groupsOf: GroupResolver) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(freezeBody, await readJson(req), 'deploy freeze');
    const outcome = await freezeDeployments(deps, groupsOf, params.model ?? '', {
      userId: body.frozenBy,
      until: body.until,
      reason: body.reason,
    });
    sendJson(res, 200, outcome);
  };
}

/** `POST /api/gate/:model/unfreeze`: `{liftedBy, reason?}` lifts the freeze before its time; 409 when none holds. */
export function gateUnfreezeRoute(deps: EngineDeps, apiToken: string | undefined, groupsOf: GroupResolver) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(unfreezeBody, await readJson(req), 'freeze lift');
    const outcome = await liftFreeze(deps, groupsOf, params.model ?? '', {
      userId: body.liftedBy,
      ...(body.reason ? { reason: body.reason } : {}),
    });
    sendJson(res, 200, outcome);
  };
}
