import type { z } from 'zod';
import { RollbotError } from '../../core/errors.js';
import type { RollbackPlan, ServingAdapter } from '../../engine/serving-port.js';
import { createKubeClient, type KubeRef } from '../k8s/client.js';
import { refuse, rollbackFrom } from '../k8s/plan.js';
import type { KubeConnection } from '../k8s/types.js';
import type { kserveConfig } from './config.js';
import { knativeMode } from './knative.js';
import { reapplied, reapplyPatch, reapplyPlan, runsSpec } from './reapply.js';
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
 *
 * @throws RollbotError `INVALID_CONFIG` for a Standard-mode block with a component other than the predictor.
 */
export function createKserveAdapter(
  config: z.output<typeof kserveConfig>,
  context: KserveContext,
): ServingAdapter {
  const where = `${config.namespace}/${config.name}`;
  const target = `kserve ${where}`;
  if (config.mode === 'standard' && config.component !== 'predictor') {
    throw new RollbotError(
      'INVALID_CONFIG',
      `${target}: spec.canary (mode standard) only splits the predictor`,
      {
        hint: 'remove component from the serving block, or use mode: knative',
      },
    );
  }
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
      const reapply = recordedSpec(plan);
      if (reapply) {
        if (runsSpec(await read(), config.component, reapply)) {
          return {
            mutated: false,
            output: `${ref.what} already runs the spec recorded for ${plan.to}: no change made`,
          };
        }
        await client.patch(path, reapplyPatch(config.mode, config.component, reapply), 'json', ref);
        return {
          mutated: true,
          output: `re-applied the ${config.component} spec recorded for ${plan.to} to ${ref.what}`,
        };
      }
      if (!mode.needsPatch(await read(), plan.to)) {
        return { mutated: false, output: `${ref.what} already rolled back: no change made` };
      }
      await client.patch(path, mode.patch, 'merge', ref);
      return { mutated: true, output: `patched ${ref.what}: ${patchText}` };
    },
    async onTarget(plan) {
      const reapply = recordedSpec(plan);
      if (reapply) return reapplied(await read(), config.component, reapply);
      return mode.onTarget(await read(), plan.to);
    },
  };
}
