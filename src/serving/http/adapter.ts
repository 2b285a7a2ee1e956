/**
 * The `http` serving adapter: a templated request to a router or deploy job, for layers rollbot has no
 * adapter for. It knows only what the runbook tells it: with a `status` request it can read the current
 * version (idempotent execute, confirmed rollback); without one it trusts the 2xx of the rollback request, and
 * never resends one that may have landed (unlessRepeatable).
 */
import { ServingError } from '../../core/errors.js';
import type {
  ExecuteContext,
  RollbackPlan,
  ServingAdapter,
  ServingState,
} from '../../engine/serving-port.js';
import { requestJson } from '../request.js';
import { fillTemplate, redactEnv, type TemplateValues } from '../template.js';
import {
  chooseTarget,
  universalPlan,
  executionVars,
  singleVersionState,
  unknownState,
  unlessRepeatable,
  type UniversalAdapterContext,
} from '../universal.js';
import type { HttpConfig } from './config.js';
import { describeRequest, fillRequest, shorten, valueAtPath, type FilledRequest } from './fill.js';

/** Builds the adapter for a runbook's `serving: {adapter: http, …}` block. */
export function createHttpAdapter(config: HttpConfig, context: UniversalAdapterContext): ServingAdapter {
  const target = `http ${hostOf(config.rollback.url, context, config.env)}`;
  const base = { env: context.env, allowEnv: config.env };
  const redact = (text: string): string => redactEnv(text, context.env, config.env);
  // Without a status request, the only evidence of a rollback is our own 2xx, kept for onTarget.
  const confirmed = new Set<string>();
  let lastConfirmed: string | undefined;

  /**
   * The same error with the environment values masked: a router that refuses a token often quotes it back, and
   * the message goes to the timeline, Slack and the logs as the 2xx output does (masked there too).
   */
  function masked(error: unknown): unknown {
    if (!(error instanceof ServingError)) return error;
    return new ServingError(redact(error.message), {
      transient: error.transient,
      effectUnknown: error.effectUnknown,
      ...(error.hint === undefined ? {} : { hint: redact(error.hint) }),
      ...(error.status === undefined ? {} : { status: error.status }),
      details: error.details,
      // Not the error itself as the cause: its message is the unmasked one.
      ...(error.cause === undefined ? {} : { cause: error.cause }),
    });
  }

  /** Sends a filled request; `what` names it with environment values masked, and so is any answer quoted. */
  async function send(real: FilledRequest, shown: FilledRequest, label: string) {
    try {
      return await requestJson({
        method: real.method,
        url: real.url,
        headers: real.headers,
        ...(real.body === undefined ? {} : { body: real.body }),
        ...(real.contentType === undefined ? {} : { contentType: real.contentType }),
        timeoutMs: config.timeout,
        what: `${label} ${shown.method} ${shown.url}`,
      });
    } catch (error) {
      throw masked(error);
    }
  }

  /**
   * A failed rollback request that the router may have acted on (timeout or reset once sent, most 5xx) is
   * retried only with a status request, whose read before each retry sends nothing if the first one landed.
   */
  function repeatable(error: ServingError): ServingError {
    return unlessRepeatable(error, {
      readsState: config.status !== undefined,
      verb: 'send',
      fixes: [
        'add a status request to the serving block so that rollbot can read the layer before retrying',
        'make the router honour the Idempotency-Key header (a retry sends the same key), in case its status lags',
        // No HTTP answer at all: a timeout (or a reset), where more time may be what the router needs.
        ...(error.status === undefined ? ['raise timeout if the router needs longer to answer'] : []),
      ],
    });
  }

  async function readStatus(status: NonNullable<HttpConfig['status']>): Promise<ServingState> {
    try {
      return await readVersions(status);
    } catch (error) {
      throw masked(error);
    }
  }

  async function readVersions(status: NonNullable<HttpConfig['status']>): Promise<ServingState> {
    const values: TemplateValues = { ...base, vars: { model: context.model } };
    const response = await send(
      fillRequest(status, values),
      fillRequest(status, { ...values, maskEnv: true }),
      'status request',
    );
    const current = versionAt(response.body, status.versionPath, 'versionPath');
    if (current === undefined) throw noVersion(response.body, status.versionPath, 'versionPath');
    const previous = status.previousPath
      ? versionAt(response.body, status.previousPath, 'previousPath')
      : undefined;
    const summary = `on ${current}${previous === undefined ? '' : `, previous ${previous}`} (status request)`;
    return singleVersionState(current, summary, previous);
  }

  return {
    kind: 'http',
    target,
    readsState: config.status !== undefined,

    async state() {
      if (config.status) return readStatus(config.status);
      return unknownState(
        lastConfirmed === undefined
          ? 'no status request configured'
          : `no status request configured; rolled back to ${lastConfirmed} (no status request: trusting the 2xx)`,
      );
    },

    async plan(request) {
      const to = chooseTarget(
        request,
        target,
        config.status === undefined
          ? 'add a status request with previousPath (the previous version in its answer)'
          : config.status.previousPath === undefined
            ? "add previousPath to the status request if the router's answer holds the previous version"
            : undefined,
      );
      const from = request.state.current;
      const shown = fillRequest(config.rollback, {
        ...base,
        vars: { model: context.model, to, ...(from === undefined ? {} : { from }) },
        maskEnv: true,
        keepMissing: true,
      });
      const actions = [
        `${describeRequest(shown, { 'idempotency-key': '{{idempotencyKey}}' })}; any 2xx (or a 303 See Other) is success`,
      ];
      if (config.status) {
        const status = fillRequest(config.status, { ...base, vars: { model: context.model }, maskEnv: true });
        const check = `${status.method} ${status.url}`;
        actions.unshift(`${check}: skip the rollback if ${config.status.versionPath} already is ${to}`);
        actions.push(`${check} until ${config.status.versionPath} is ${to}`);
      } else {
        actions.push('no status request: trusting the 2xx');
      }
      return universalPlan(config, from, to, actions);
    },

    async execute(plan: RollbackPlan, run: ExecuteContext) {
      if (config.status) {
        const now = await readStatus(config.status);
        if (now.current === plan.to) {
          return { mutated: false, output: `already on ${plan.to} per the status request: nothing sent` };
        }
      }
      const values: TemplateValues = {
        ...base,
        vars: executionVars(context.model, plan, run),
      };
      const real = fillRequest(config.rollback, values);
      const shown = fillRequest(config.rollback, { ...values, maskEnv: true });
      // One key per attempt: a receiver that honours it turns the retries of this attempt into no-ops.
      real.headers['idempotency-key'] = run.idempotencyKey;
      const response = await send(real, shown, 'rollback request').catch((error: unknown) => {
        throw error instanceof ServingError ? repeatable(error) : error;
      });
      confirmed.add(plan.to);
      lastConfirmed = plan.to;
      const said = response.body === undefined ? 'no body' : shorten(stringify(response.body), 1_000);
      const trust = config.status
        ? ''
        : ` (no status request: trusting the ${response.seeOther ? '303' : '2xx'})`;
      // A 303 See Other: accepted, with where its result is and whether it was read.
      const seen = response.seeOther === undefined ? '' : ` (${response.seeOther})`;
      return {
        mutated: true,
        output: redact(`${shown.method} ${shown.url}: HTTP ${response.status}${seen}${trust}: ${said}`),
      };
    },

    async onTarget(plan: RollbackPlan) {
      if (config.status) return (await readStatus(config.status)).current === plan.to;
      return confirmed.has(plan.to);
    },
  };
}

type PathField = 'versionPath' | 'previousPath';

/** The version at `path` of a status response (a string, or a number written as one); undefined if absent. */
function versionAt(body: unknown, path: string, field: PathField): string | undefined {
  const value = valueAtPath(body, path);
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  if (value === undefined || value === null) return undefined;
  throw noVersion(body, path, field);
}

function noVersion(body: unknown, path: string, field: PathField): ServingError {
  return new ServingError(`status response has no version at ${path}`, {
    transient: false,
    hint: `check the status request's ${field} against the response, which starts: ${shorten(stringify(body), 200)}`,
  });
}

function stringify(body: unknown): string {
  return typeof body === 'string' ? body : (JSON.stringify(body) ?? String(body));
}

/** The host of the rollback URL, for `target`; the template itself when it cannot be filled yet. */
function hostOf(url: string, context: UniversalAdapterContext, allowEnv: readonly string[]): string {
  try {
    const filled = fillTemplate(url, {
      vars: { model: context.model },
      env: context.env,
      allowEnv,
      keepMissing: true,
    });
    return new URL(filled).host;
  } catch {
    return url;
  }
}
