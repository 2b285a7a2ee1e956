/**
 * The deployment gate's routes: `GET /api/gate/:model` (may the model be deployed now?), an approver's approval of
 * the next deployment, and an override of the gate and its revocation. Deploy freezes are api-freeze.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { approveDeployment } from '../engine/approve-deployment.js';
import type { EngineDeps } from '../engine/context.js';
import { ASKED_FOR_FORMAT } from '../engine/deploy-approval.js';
import { deploymentGate, overrideGate, revokeGateOverride } from '../engine/gate.js';
import { actingAs, type GroupResolver } from '../engine/group-membership.js';
import { requireApiToken } from './api-writes.js';
import { sendJson } from './errors.js';
import { readJson } from './request.js';
import { approver } from './fields.js';
import { parseBody } from './validate.js';

/**
 * `GET /api/gate/:model`: may this model be deployed now? `{allowed, status, reasons[], approval?, watch?}`.
 * When an approval is required, the channel is asked for it (once a day, however often CI polls). A HEAD, which
 * the router serves here too, is a probe (an uptime checker, `curl -I`), not CI about to deploy: it asks nobody.
 */
export function gateRoute(deps: EngineDeps) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    const requestApproval = req.method !== 'HEAD';
    sendJson(res, 200, await deploymentGate(deps, params.model ?? '', { requestApproval }));
  };
}

const approveBody = z.strictObject({
  /** Who approves: the runbook's rollback.approvers decide who may (fields.ts `approver`). */
  approvedBy: approver('approvedBy', 'approves the deployment'),
  reason: z.string().trim().max(1000).optional(),
  /**
   * The deployment the caller means (`approval.askedFor` of GET /api/gate/:model): refused with 409 once another
   * waits. Absent: whichever waits when the approval arrives.
   */
  askedFor: z
    .string()
    .regex(
      ASKED_FOR_FORMAT,
      'expected the approval.askedFor that GET /api/gate/:model answers, like deployment:1764000000000 or rollback:INC-7:1764000000000',
    )
    .optional(),
});

/**
 * `POST /api/gate/:model/approve`: an approver lets the model's next deployment through (24 h, recorded); with
 * `askedFor`, only the deployment the caller was shown, as an Approve deployment button does. A user group in
 * rollback.approvers is checked as in Slack (`groupsOf`: Slack, else its recent snapshot).
 */
export function gateApproveRoute(deps: EngineDeps, apiToken: string | undefined, groupsOf: GroupResolver) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(approveBody, await readJson(req), 'deployment approval');
    const model = params.model ?? '';
    await actingAs({ runbooks: deps.runbooks, groupsOf }, { userId: body.approvedBy, model }, (actor) =>
      approveDeployment(deps, model, {
        actor,
        from: 'api',
        ...(body.reason ? { reason: body.reason } : {}),
        ...(body.askedFor ? { askedFor: body.askedFor } : {}),
      }),
    );
    sendJson(res, 200, await deploymentGate(deps, model));
  };
}

const overrideBody = z.strictObject({
  reason: z.string().trim().min(1, 'say why the deployment cannot wait: a reason is required'),
  approvedBy: approver('approvedBy', 'overrides the gate'),
});

/**
 * `POST /api/gate/:model/override`: an approver opens the gate for 24 h despite retro items or a late drill. Only
 * someone the runbook's rollback.approvers allow may (as for `…/approve`): the API token says the caller is a
 * trusted script, not who may waive the gate. A user group in rollback.approvers is checked as for `…/approve`.
 * 409 while neither closes the gate: nothing to override (overrideGate).
 */
export function gateOverrideRoute(deps: EngineDeps, apiToken: string | undefined, groupsOf: GroupResolver) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(overrideBody, await readJson(req), 'gate override');
    const model = params.model ?? '';
    const answer = await actingAs(
      { runbooks: deps.runbooks, groupsOf },
      { userId: body.approvedBy, model },
      (actor) => overrideGate(deps, model, { actor, reason: body.reason }),
    );
    sendJson(res, 200, answer);
  };
}

const revokeBody = z.strictObject({
  /** Who takes it back: whom rollback.approvers allows, as for giving it. */
  revokedBy: approver('revokedBy', 'revokes the override'),
  reason: z.string().trim().max(1000).optional(),
});

/**
 * `DELETE /api/gate/:model/override`: `{revokedBy, reason?}` takes an override back before its 24 h are up; the
 * gate closes again on what it waived. Who may is as for giving it; 409 when none holds.
 */
export function gateOverrideRevokeRoute(
  deps: EngineDeps,
  apiToken: string | undefined,
  groupsOf: GroupResolver,
) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(revokeBody, await readJson(req), 'override revocation');
    const model = params.model ?? '';
    const answer = await actingAs(
      { runbooks: deps.runbooks, groupsOf },
      { userId: body.revokedBy, model },
      (actor) => revokeGateOverride(deps, model, { actor, ...(body.reason ? { reason: body.reason } : {}) }),
    );
    sendJson(res, 200, answer);
  };
}
