import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { RollbotError } from '../core/errors.js';
import { DEPLOYMENT_STRATEGIES } from '../core/ledger.js';
import type { EngineDeps } from '../engine/context.js';
import { dismissAs } from '../engine/decisions.js';
import { recordDeployment } from '../engine/deployments.js';
import type { GroupResolver } from '../engine/group-membership.js';
import { deploymentGate } from '../engine/gate.js';
import { addNote } from '../engine/notes.js';
import { resolve } from '../engine/resolve.js';
import { rollback, type RollbackOutcome } from '../engine/rollback.js';
import { viewIncident } from '../engine/views.js';
import { NDJSON, UnauthorizedError, sendJson } from './errors.js';
import { hasBearer, readJson } from './request.js';
import { actor, approver, caller, version } from './fields.js';
import { modelNameOf } from '../core/names.js';
import { parseBody } from './validate.js';

const rollbackBody = z.strictObject({
  model: z.string().min(1).overwrite(modelNameOf),
  toVersion: version.optional(),
  /**
   * The version the caller saw serving (the plan's `from`): when another version serves by then (someone rolled
   * back meanwhile), the rollback is refused with 409 instead of going one version further. Makes retries safe.
   */
  fromVersion: version.optional(),
  reason: z.string().trim().min(1, 'say why: a reason is required'),
  dryRun: z.boolean().default(false),
  /** Who asked, for the timeline (e.g. the CI job or the person behind a script). */
  requestedBy: caller('requestedBy', 'asks for the rollback'),
});

const deploymentBody = z.strictObject({
  model: z.string().min(1).overwrite(modelNameOf),
  version,
  previousVersion: version.optional(),
  strategy: z.enum(DEPLOYMENT_STRATEGIES).default('canary'),
  recordedBy: caller('recordedBy', 'records the deployment'),
  /** The serving spec as deployed (KServe: the InferenceService spec), re-applied by a rollback after promotion. */
  spec: z.record(z.string(), z.unknown()).optional(),
  /** Percent of traffic the version has now (a canary step); omit, or 100, once it has all of it. */
  traffic: z.number().min(0).max(100).optional(),
});

/** The refusal of a bot without API_TOKEN, which the CLI tells apart from an approver's refusal (cli/bot-errors.ts). */
export const WRITE_API_DISABLED = 'the write API is disabled because API_TOKEN is not set';

/**
 * Every `/api/*` route, reads included, needs API_TOKEN as its bearer token once the bot has one: incidents'
 * labels, summaries and timelines are not for whoever reaches the port, and a read of the gate may ask the channel
 * for an approval. Without API_TOKEN reads stay open (writes are off: requireApiToken).
 */
export function requireApiBearer(req: IncomingMessage, token: string | undefined): void {
  if (token && !hasBearer(req, token)) {
    throw new UnauthorizedError(
      'missing or wrong bearer token for the API',
      'send Authorization: Bearer <API_TOKEN>',
      'Bearer realm="rollbot API"',
    );
  }
}

/** Writes need API_TOKEN; with none configured the write API is off. */
export function requireApiToken(req: IncomingMessage, token: string | undefined): void {
  if (!token) {
    throw new RollbotError('FORBIDDEN', WRITE_API_DISABLED, {
      hint: 'set API_TOKEN on the bot and send it as Authorization: Bearer <API_TOKEN>',
    });
  }
  requireApiBearer(req, token);
}

/**
 * `POST /api/rollbacks`: the same path as `/rollback` and the CLI. Answers when the rollback is done: 200
 * for success or a dry run, 502 when it failed (the body says why and what the incident is). With
 * `Accept: application/x-ndjson` each step is streamed as a line as it happens, then the outcome.
 */
export function rollbackRoute(deps: EngineDeps, apiToken: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readJson(req);
    // A dry run reads the serving layer and plans, changing nothing: a read, so a bot without API_TOKEN answers it
    // as it answers reads (with API_TOKEN, app.ts has checked the bearer as for every /api route).
    if (!isDryRun(raw)) requireApiToken(req, apiToken);
    const body = parseBody(rollbackBody, raw, 'rollback request');
    const request = {
      model: body.model,
      reason: body.reason,
      by: body.requestedBy,
      trigger: 'api' as const,
      dryRun: body.dryRun,
      ...(body.toVersion ? { to: body.toVersion } : {}),
      ...(body.fromVersion ? { from: body.fromVersion } : {}),
    };
    const streaming = (req.headers.accept ?? '').includes('application/x-ndjson');
    if (!streaming) {
      const outcome = await rollback(deps, request);
      sendJson(res, outcome.outcome === 'failed' || outcome.outcome === 'unknown' ? 502 : 200, outcome);
      return;
    }
    // Refusals before the first step (unknown model, lock held) answer as errors; once a step is out, the status
    // is committed: the outcome line tells success from failure, and a later refusal (the layer no longer serves
    // fromVersion, no known-good) is the last line, as `{error}` (sendError).
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.setHeader('content-type', NDJSON);
      res.writeHead(200);
    };
    const outcome: RollbackOutcome = await rollback(deps, request, (step) => {
      start();
      res.write(`${JSON.stringify({ step })}\n`);
    });
    start();
    res.end(`${JSON.stringify({ result: outcome })}\n`);
  };
}

function isDryRun(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { dryRun?: unknown }).dryRun === true;
}

/** `POST /api/deployments`: CI records each deployment so that rollbot knows the last known-good version. */
export function deploymentRoute(deps: EngineDeps, apiToken: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(deploymentBody, await readJson(req), 'deployment');
    const { recordedBy, previousVersion, spec, traffic, ...rest } = body;
    const deployment = await recordDeployment(deps, {
      ...rest,
      by: recordedBy,
      ...(previousVersion ? { previousVersion } : {}),
      ...(spec ? { spec } : {}),
      ...(traffic !== undefined ? { traffic } : {}),
    });
    sendJson(res, 201, { deployment, gate: await deploymentGate(deps, body.model) });
  };
}

const resolveBody = z.strictObject({
  reason: z.string().trim().min(1, 'say why service is restored: a reason is required'),
  resolvedBy: caller('resolvedBy', 'resolves the incident'),
});

/** `POST /api/incidents/:id/resolve`: a person says service is restored (when confirmation cannot). */
export function resolveRoute(deps: EngineDeps, apiToken: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(resolveBody, await readJson(req), 'resolution');
    const incident = await resolve(deps, params.id ?? '', { by: body.resolvedBy, reason: body.reason });
    sendJson(res, 200, viewIncident(incident, deps.clock.now()));
  };
}

const dismissBody = z.strictObject({
  reason: z.string().trim().min(1, 'say why this is not a rollback: a reason is required'),
  /**
   * Who decides: required, unlike resolvedBy, because the runbook's rollback.approvers decide who may (as in
   * Slack): the API token says the caller is a trusted script, not who may dismiss an incident.
   */
  dismissedBy: approver('dismissedBy', 'decides'),
});

/**
 * `POST /api/incidents/:id/dismiss`: "not a rollback", the decision Slack's button asks for, for when Slack is
 * down: triage ends (its deadlines cancelled, nobody paged), and the gate no longer counts the incident. A user
 * group in rollback.approvers is checked as in Slack (`groupsOf`: Slack, else its recent snapshot).
 */
export function dismissRoute(deps: EngineDeps, apiToken: string | undefined, groupsOf: GroupResolver) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(dismissBody, await readJson(req), 'dismissal');
    const incident = await dismissAs(deps, groupsOf, params.id ?? '', {
      userId: body.dismissedBy,
      reason: body.reason,
      trigger: 'api',
    });
    sendJson(res, 200, viewIncident(incident, deps.clock.now()));
  };
}

const noteBody = z.strictObject({
  /**
   * Who wrote it (a Slack user ID, or the person or job behind a script): required, since a note is someone's
   * finding, and the timeline says whose. Not checked against rollback.approvers: a note changes nothing.
   */
  by: actor('by', 'wrote the note', 'a Slack user ID, or who is behind the script'),
  /** Trimmed, and refused when empty or too long, by the engine (notes.ts), as on every surface. */
  text: z.string({ error: 'the note itself, a string, is required' }),
});

/**
 * `POST /api/incidents/:id/notes`: a person's note on the incident's timeline (any incident, open or over), told to
 * its channel; 201 with the timeline entry.
 */
export function noteRoute(deps: EngineDeps, apiToken: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    requireApiToken(req, apiToken);
    const body = parseBody(noteBody, await readJson(req), 'note');
    sendJson(res, 201, await addNote(deps, params.id ?? '', { by: body.by, text: body.text }));
  };
}
