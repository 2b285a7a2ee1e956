import { ServingError } from '../../core/errors.js';
import type { Deployment } from '../../core/ledger.js';
import type { RollbackPlan, ServingState } from '../../engine/serving-port.js';
import { conditionTrue, generationObserved } from '../k8s/objects.js';
import { REDEPLOY_ETA_MS } from '../k8s/plan.js';
import type { InferenceService } from './schema.js';
import { canaryInSpec, canaryTakesTraffic } from './standard.js';

/**
 * After a promotion no traffic flip can reach an older version (Standard mode keeps no previous predictor;
 * Knative only the previous rolled-out revision). What can: re-applying the component spec CI snapshotted
 * when that version was deployed (POST /api/deployments with `spec`). The reference calls for exactly this:
 * never undo the owned Deployment, re-apply the InferenceService spec.
 */
export function reapplyPlan(
  request: { to?: string; knownGood?: string; state: ServingState; ledger?: readonly Deployment[] },
  context: { where: string; component: string; mode: string },
): RollbackPlan | undefined {
  const wanted = request.to ?? request.knownGood;
  if (wanted === undefined) return undefined;
  const deployment = request.ledger?.find(
    (d) => d.version === wanted && isObject(d.spec?.[context.component]),
  );
  const recorded = deployment?.spec?.[context.component];
  if (!deployment || !isObject(recorded)) return undefined;
  // A spec recorded at a canary step carries its share: re-applied as is, the rest of the traffic would stay on
  // the version rolled back from while Ready said the rollback landed. A rollback gives the version all of it.
  const { canaryTrafficPercent: _share, ...spec } = recorded;
  // Likewise in Standard mode a canary lives beside the predictor, in spec.canary, not in the recorded
  // component spec: replacing only the predictor would leave it its HTTPRoute share. The patch empties it.
  const canary =
    context.mode === 'standard' ? ' and set /spec/canary to [] (no canary keeps a share beside it)' : '';
  const from = request.state.current;
  return {
    ...(from === undefined || from === wanted ? {} : { from }),
    to: wanted,
    regime: 'redeploy',
    etaMs: REDEPLOY_ETA_MS,
    actions: [
      `PATCH InferenceService ${context.where} (application/json-patch+json) replace /spec/${context.component} with the spec recorded for ${wanted} on ${new Date(deployment.at).toISOString()}${'canaryTrafficPercent' in recorded ? ' (without its canaryTrafficPercent: all traffic goes to it)' : ''}${canary}`,
      'wait until Ready=True at the new generation with that spec as the API server stores it (the same patch as a dry run, ?dryRun=All, says what that is)',
    ],
    data: { mode: context.mode, component: context.component, reapply: spec },
  };
}

/**
 * The JSON patch that puts the recorded spec back; in Standard mode it also empties spec.canary (`add`
 * replaces the list, or creates it when absent), so that no canary keeps a share beside it.
 */
export function reapplyPatch(mode: string, component: string, spec: Record<string, unknown>): unknown[] {
  const patch = [{ op: 'replace', path: `/spec/${component}`, value: spec }];
  return mode === 'standard' ? [...patch, { op: 'add', path: '/spec/canary', value: [] }] : patch;
}

/**
 * Whether the InferenceService runs the recorded spec, with no canary given a share beside it (then execute makes
 * no write).
 *
 * The live spec is not the recorded one to the letter: KServe's mutating webhook rewrites a spec as it stores it
 * (default resources, `automountServiceAccountToken: false`, `sklearn: {…}` into `model.modelFormat`), and CI
 * records it from its manifest. So the live spec is compared with what the API server makes of the record
 * (`admitted`, the re-apply as a dry run). Equal, never a subset: a bad version that only adds fields to the good
 * one must not pass for it. A live spec equal to the record itself (CI recorded it from the cluster) needs no
 * dry run. Only the component spec is compared: the server stamps metadata anew on every write.
 */
export async function runsSpec(
  isvc: InferenceService,
  component: string,
  spec: Record<string, unknown>,
  admitted: () => Promise<unknown>,
): Promise<boolean> {
  if (canaryInSpec(isvc)) return false;
  const current = (isvc.spec as Record<string, unknown> | undefined)?.[component];
  // No component runs no spec (and never equals an admitted spec that could not be had).
  if (current === undefined) return false;
  return sameJson(current, spec) || sameJson(current, await admitted());
}

/**
 * Traffic is on the re-applied spec once KServe has reconciled the new generation, is Ready, runs that spec, and
 * no canary has a share (spec.canary exists in Standard mode only). The spec is compared last: until KServe is
 * Ready at the generation the answer is no, without asking the API server for a dry run at every poll.
 */
export async function reapplied(
  isvc: InferenceService,
  component: string,
  spec: Record<string, unknown>,
  admitted: () => Promise<unknown>,
): Promise<boolean> {
  return (
    !canaryTakesTraffic(isvc) &&
    generationObserved(isvc.metadata.generation, isvc.status?.observedGeneration) &&
    conditionTrue(isvc.status?.conditions, 'Ready') &&
    (await runsSpec(isvc, component, spec, admitted))
  );
}

/**
 * The component spec as the API server would store the recorded one: `dryRun` sends the re-apply patch with
 * `?dryRun=All`, which runs admission (KServe's webhook declares `sideEffects: None`) and answers with the object
 * as it would be stored, storing nothing. Sent again at each check rather than kept from the re-apply's own
 * answer: a bot restarted mid-rollback has only the plan, and a replica other than the one that patched may poll.
 *
 * @throws ServingError saying what is unknown, never a guess: transient as the failure was (the wait retries a
 *   503 and reports a refusal at once), with what to fix and how to check by hand.
 */
export async function admittedSpec(
  dryRun: () => Promise<unknown>,
  about: { what: string; component: string; version: string; kubectlGet: string },
): Promise<unknown> {
  const unknown = `cannot tell whether ${about.what} runs the ${about.component} spec recorded for ${about.version}`;
  const byHand = `meanwhile compare by hand what \`${about.kubectlGet}\` shows with the spec recorded for ${about.version}`;
  let answer: unknown;
  try {
    answer = await dryRun();
  } catch (error) {
    if (!(error instanceof ServingError)) throw error;
    const fix =
      error.status === 400
        ? 'a webhook on inferenceservices that does not declare sideEffects: None (or NoneOnDryRun) refuses dry ' +
          'runs: fix its configuration, or have CI record the spec as stored (`.spec` of kubectl get -o json ' +
          'after the deploy), which compares without a dry run'
        : error.hint;
    throw new ServingError(
      `${unknown}: asking the API server what that spec becomes once admitted (the same patch with ?dryRun=All) failed: ${error.message}`,
      {
        transient: error.transient,
        hint: fix === undefined ? byHand : `${fix}; ${byHand}`,
        cause: error,
        ...(error.status === undefined ? {} : { status: error.status }),
      },
    );
  }
  const spec = isObject(answer) && isObject(answer.spec) ? answer.spec[about.component] : undefined;
  if (spec !== undefined) return spec;
  throw new ServingError(`${unknown}: the API server's dry run answered without spec.${about.component}`, {
    transient: false,
    hint: `check that the server is a Kubernetes API server and the CRD version matches; ${byHand}`,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values, ignoring key order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => sameJson(a[key], b[key]));
  }
  return a === b;
}
