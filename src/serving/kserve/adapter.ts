import type { z } from 'zod';
import { ServingError } from '../../core/errors.js';
import type { RollbackPlan, ServingAdapter } from '../../engine/serving-port.js';
import { createKubeClient, type KubeRef } from '../k8s/client.js';
import { refuse, rollbackFrom } from '../k8s/plan.js';
import type { KubeConnection } from '../k8s/types.js';
import type { kserveConfig } from './config.js';
import { knativeMode } from './knative.js';
import { admittedSpec, reapplied, reapplyPatch, reapplyPlan, runsSpec } from './reapply.js';
import { inferenceService } from './schema.js';
import { standardMode } from './standard.js';

/** What the KServe adapter needs besides its runbook block. */
export interface KserveContext {
  model: string;
  /** Called for every request, so that rotated service-account tokens are picked up. */
  kube: () => KubeConnection;
  /** Per request; 10 s by default. */
  timeoutMs?: number;
}

/**
 * A KServe InferenceService. Knative mode rolls back with `canaryTrafficPercent: 0` (a flip during a canary,
 * a cold start after a promotion); Standard mode by emptying `spec.canary` (always a flip). Both are merge
 * patches of one field, so repeating them changes nothing; execute still re-reads first and skips the call.
 * (A Standard-mode block names only the predictor: kserveConfig refuses any other when the runbook loads.)
 */
export function createKserveAdapter(
  config: z.output<typeof kserveConfig>,
  context: KserveContext,
): ServingAdapter {
  const where = `${config.namespace}/${config.name}`;
  const target = `kserve ${where}`;
  const mode =
    config.mode === 'knative' ? knativeMode(target, config.component) : standardMode(target, config.name);
  const client = createKubeClient({ kube: context.kube, timeoutMs: context.timeoutMs ?? 10_000 });
  const path = `/apis/serving.kserve.io/v1beta1/namespaces/${config.namespace}/inferenceservices/${config.name}`;
  const ref: KubeRef = {
    what: `InferenceService ${where}`,
    group: 'serving.kserve.io',
    resource: 'inferenceservices',
    namespace: config.namespace,
  };
  const read = () => client.get(path, ref, inferenceService);
  const patchText = JSON.stringify(mode.patch);

  function checkPlan(plan: RollbackPlan): void {
    // A plan stored on an incident may outlive a runbook edit: never apply one made for another mode.
    if (plan.data.mode !== config.mode || plan.data.component !== config.component) {
      throw refuse(
        `${target}: the plan was made for ${String(plan.data.mode)} mode, ${String(plan.data.component)}`,
        'plan the rollback again with the current runbook',
      );
    }
  }

  const recordedSpec = (plan: RollbackPlan): Record<string, unknown> | undefined => {
    const spec = plan.data.reapply;
    return typeof spec === 'object' && spec !== null && !Array.isArray(spec)
      ? (spec as Record<string, unknown>)
      : undefined;
  };

  /** The recorded spec as the API server would store it: the re-apply itself, as a dry run (reapply.ts). */
  const admitted = (plan: RollbackPlan, spec: Record<string, unknown>) => () =>
    admittedSpec(
      () =>
        client.patch(path, reapplyPatch(config.mode, config.component, spec), 'json', ref, { dryRun: true }),
      {
        what: ref.what,
        component: config.component,
        version: plan.to,
        kubectlGet: `kubectl get inferenceservice ${config.name} -n ${config.namespace} -o yaml`,
      },
    );

  /**
   * Re-applies unless it already runs the spec. When rollbot cannot tell (the dry run failed) it re-applies all
   * the same: a bad version keeps serving meanwhile, and a patch to what is already stored changes nothing.
   */
  async function reapply(plan: RollbackPlan, spec: Record<string, unknown>) {
    let unknown = '';
    // A failed dry run only means "not known to run it" here (a failed read stays this execute's failure).
    const admittedOrUnknown = () =>
      admitted(plan, spec)().catch((error: unknown) => {
        if (!(error instanceof ServingError)) throw error;
        unknown = ` (rollbot could not tell first whether it already ran it: ${error.message})`;
        return undefined;
      });
    if (await runsSpec(await read(), config.component, spec, admittedOrUnknown)) {
      return {
        mutated: false,
        output: `${ref.what} already runs the spec recorded for ${plan.to}: no change made`,
      };
    }
    await client.patch(path, reapplyPatch(config.mode, config.component, spec), 'json', ref);
    return {
      mutated: true,
      output: `re-applied the ${config.component} spec recorded for ${plan.to} to ${ref.what}${unknown}`,
    };
  }

  return {
    kind: 'kserve',
    target,
    async state() {
      return mode.state(await read());
    },
    async plan(request) {
      let flip: ReturnType<typeof mode.plan>;
      try {
        flip = mode.plan(request);
      } catch (error) {
        // No flip reaches the version: re-apply the spec recorded for it, if CI recorded one.
        const reapply = reapplyPlan(request, { where, component: config.component, mode: config.mode });
        if (reapply) return reapply;
        throw error;
      }
      const { to, regime, etaMs } = flip;
      const from = rollbackFrom(request.state, to);
      return {
        ...(from === undefined ? {} : { from }),
        to,
        regime,
        etaMs,
        actions: [
          `PATCH InferenceService ${where} (application/merge-patch+json) ${patchText}`,
          `wait until ${to} has all traffic and Ready=True at the new generation`,
        ],
        data: { mode: config.mode, component: config.component },
      };
    },
    async execute(plan) {
      checkPlan(plan);
      const spec = recordedSpec(plan);
      if (spec) return reapply(plan, spec);
      if (!mode.needsPatch(await read(), plan.to)) {
        return { mutated: false, output: `${ref.what} already rolled back: no change made` };
      }
      await client.patch(path, mode.patch, 'merge', ref);
      return { mutated: true, output: `patched ${ref.what}: ${patchText}` };
    },
    async onTarget(plan) {
      const spec = recordedSpec(plan);
      if (spec) return reapplied(await read(), config.component, spec, admitted(plan, spec));
      return mode.onTarget(await read(), plan.to);
    },
  };
}
