import type { z } from 'zod';
import { ServingError } from '../../core/errors.js';
import type { RollbackPlan, ServingAdapter } from '../../engine/serving-port.js';
import { createKubeClient, type KubeRef } from '../k8s/client.js';
import { generationObserved } from '../k8s/objects.js';
import { FLIP_ETA_MS, REDEPLOY_ETA_MS, refuse, rollbackFrom } from '../k8s/plan.js';
import type { KubeConnection } from '../k8s/types.js';
import type { argoRolloutsConfig } from './config.js';
import { derivativeEqual, findRevision, revisions, withoutHash } from './history.js';
import { replicaSetList, rollout, type Rollout } from './schema.js';
import { describeRollout, type RolloutView } from './view.js';

/** What the Argo Rollouts adapter needs besides its runbook block. */
export interface ArgoRolloutsContext {
  model: string;
  /** Called for every request, so that rotated service-account tokens are picked up. */
  kube: () => KubeConnection;
  /** Per request; 10 s by default. */
  timeoutMs?: number;
}

/** Plan data: what execute and onTarget need, JSON only. */
interface ArgoPlanData {
  action: 'abort' | 'undo';
  /** The target's pod-template hash: undo renumbers the ReplicaSet it reuses, the hash stays. */
  podTemplateHash: string | undefined;
}

/**
 * An Argo Rollouts Rollout. Versions are revision numbers ("7"). During a rollout, rolling back to the
 * stable revision is an abort (the stable ReplicaSet is still up: a traffic flip); anything else is an undo
 * to an explicit revision (never the bare undo, which toggles between the last two revisions).
 */
export function createArgoRolloutsAdapter(
  config: z.output<typeof argoRolloutsConfig>,
  context: ArgoRolloutsContext,
): ServingAdapter {
  const { namespace, name } = config;
  const where = `${namespace}/${name}`;
  const target = `argo-rollouts ${where}`;
  const client = createKubeClient({ kube: context.kube, timeoutMs: context.timeoutMs ?? 10_000 });
  const path = `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts/${name}`;
  const ref: KubeRef = { what: `Rollout ${where}`, group: 'argoproj.io', resource: 'rollouts', namespace };
  const statusRef: KubeRef = { ...ref, what: `Rollout ${where} status`, resource: 'rollouts/status' };
  const replicaSetsRef: KubeRef = {
    what: `ReplicaSets of Rollout ${where}`,
    group: 'apps',
    resource: 'replicasets',
    namespace,
  };

  const readRollout = () => client.get(path, ref, rollout);
  /** The rollout (`current`, when just read) and its revision history. */
  async function read(current?: Rollout): Promise<RolloutView> {
    current ??= await readRollout();
    const labels = current.spec.selector?.matchLabels ?? {};
    // matchLabels narrows the list; the ownerReference check decides what belongs to this rollout.
    const selector = Object.entries(labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const list = await client.list(
      `/apis/apps/v1/namespaces/${namespace}/replicasets`,
      selector,
      replicaSetsRef,
      replicaSetList,
    );
    return { rollout: current, history: revisions(current, list.items) };
  }

  async function abort(
    plan: RollbackPlan,
    data: ArgoPlanData,
  ): Promise<{ mutated: boolean; output: string }> {
    const current = await readRollout();
    if (settledOn(current, data.podTemplateHash))
      return {
        mutated: false,
        output: `${ref.what} already runs revision ${plan.to} alone: no abort needed`,
      };
    const status = current.status;
    if (status?.abort === true)
      return { mutated: false, output: `${ref.what} already aborted: no change made` };
    if (status?.stableRS !== data.podTemplateHash || status?.currentPodHash === status?.stableRS) {
      throw refuse(
        `${target} changed since the rollback was planned: revision ${plan.to} is no longer the stable side of a rollout`,
        'look at the rollout and plan the rollback again',
      );
    }
    const body = { status: { abort: true } };
    try {
      await client.patch(`${path}/status`, body, 'merge', statusRef);
    } catch (error) {
      // Rollout CRDs without the status subresource (before v0.10) take the patch on the main resource.
      if (!(error instanceof ServingError) || error.status !== 404) throw error;
      await client.patch(path, body, 'merge', ref);
    }
    return {
      mutated: true,
      output: `aborted ${ref.what}: stable revision ${plan.to} takes the traffic back`,
    };
  }

  /**
   * Abort, then make it stick (serving-rollback.md: "abort (instant traffic) then undo"): an aborted rollout
   * still names the bad revision in spec.template and returns to it when it leaves the aborted state, so the
   * stable revision's template is put back as well. The abort is what moves the traffic: when putting the
   * template back is refused (no transient error), the rollback stands and the output says what is left.
   */
  async function abortAndRestore(
    plan: RollbackPlan,
    data: ArgoPlanData,
  ): Promise<{ mutated: boolean; output: string }> {
    const aborted = await abort(plan, data);
    try {
      const restored = await undo(plan, data);
      return {
        mutated: aborted.mutated || restored.mutated,
        output: `${aborted.output}; ${restored.output}`,
      };
    } catch (error) {
      if (!(error instanceof ServingError) || error.transient) throw error;
      return {
        mutated: aborted.mutated,
        output:
          `${aborted.output}; spec.template still names the aborted revision (${error.message}): ` +
          `to make the rollback stick, run kubectl argo rollouts undo ${name} -n ${namespace} --to-revision=${plan.to}`,
      };
    }
  }

  async function undo(plan: RollbackPlan, data: ArgoPlanData): Promise<{ mutated: boolean; output: string }> {
    const view = await read();
    if (view.rollout.spec.workloadRef !== undefined) {
      throw refuse(
        `${target} uses spec.workloadRef: rollbot only undoes rollouts with an inline spec.template`,
        'roll back the referenced Deployment, or use the command adapter with kubectl argo rollouts undo',
      );
    }
    const found = findRevision(view.history, plan.to, data.podTemplateHash);
    const template = found?.replicaSet.spec?.template;
    if (!found || !template) {
      throw refuse(
        `${target}: the ReplicaSet of revision ${plan.to} no longer exists`,
        'it may have been pruned by revisionHistoryLimit: re-apply that revision from Git instead',
      );
    }
    const wanted = withoutHash(template);
    const current = view.rollout.spec.template;
    if (current && derivativeEqual(withoutHash(current), wanted)) {
      return {
        mutated: false,
        output: `${ref.what} already has the template of revision ${plan.to}: no change made`,
      };
    }
    await client.patch(path, [{ op: 'replace', path: '/spec/template', value: wanted }], 'json', ref);
    return { mutated: true, output: `restored the pod template of revision ${plan.to} on ${ref.what}` };
  }

  return {
    kind: 'argo-rollouts',
    target,
    async state() {
      const { stable: _stable, ...state } = describeRollout(await read(), target);
      return state;
    },
    async plan(request) {
      const view = await read();
      const now = describeRollout(view, target);
      const to = request.to ?? request.knownGood ?? now.previous;
      if (to === undefined) {
        throw refuse(`${target} has no earlier revision to roll back to`, 'check the rollout history');
      }
      const found = findRevision(view.history, to, undefined);
      if (!found) {
        throw refuse(
          `${target} has no revision ${to}: it has ${view.history.map((entry) => entry.revision).join(', ') || 'none'}`,
          'pick one of the listed revisions; older ones were pruned by revisionHistoryLimit',
        );
      }
      if (to === now.current) {
        throw refuse(
          `${target} is already on revision ${to}: nothing to roll back`,
          'pick an earlier revision',
        );
      }
      const action = now.rolloutInProgress && to === now.stable ? 'abort' : 'undo';
      const from = rollbackFrom(now, to);
      return {
        ...(from === undefined ? {} : { from }),
        to,
        regime: action === 'abort' ? 'traffic-flip' : 'redeploy',
        etaMs: action === 'abort' ? FLIP_ETA_MS : REDEPLOY_ETA_MS,
        actions:
          action === 'abort'
            ? [
                `PATCH Rollout ${where}/status (application/merge-patch+json) {"status":{"abort":true}}`,
                `PATCH Rollout ${where} (application/json-patch+json) replace /spec/template with the pod template of revision ${to}, so that the abort sticks`,
                `wait until the canary weight is 0 and revision ${to} serves all traffic`,
              ]
            : [
                `PATCH Rollout ${where} (application/json-patch+json) replace /spec/template with the pod template of revision ${to}`,
                `wait until revision ${to} is stable and the rollout Healthy`,
              ],
        data: found.hash === undefined ? { action } : { action, podTemplateHash: found.hash },
      };
    },
    async execute(plan) {
      const data = planData(plan);
      return data.action === 'abort' ? abortAndRestore(plan, data) : undo(plan, data);
    },
    async onTarget(plan) {
      const data = planData(plan);
      const current = await readRollout();
      // Undone, or aborted with its template put back: the target revision is all the rollout runs.
      if (settledOn(current, data.podTemplateHash)) return true;
      if (data.action === 'undo') return false;
      const view = await read(current);
      const status = view.rollout.status;
      if (status?.abort !== true || status.stableRS !== data.podTemplateHash) return false;
      if (status.canary?.weights) return (status.canary.weights.canary.weight ?? 0) === 0;
      if (status.blueGreen?.activeSelector) return status.blueGreen.activeSelector === data.podTemplateHash;
      // A basic canary aborts by scaling the canary ReplicaSet down again.
      const canary = view.history.find((entry) => entry.hash === status.currentPodHash);
      return (canary?.replicaSet.status?.availableReplicas ?? 0) === 0;
    },
  };
}

/** The rollout runs only the revision with this pod-template hash, Healthy, at its latest generation. */
function settledOn(current: Rollout, podTemplateHash: string | undefined): boolean {
  const status = current.status;
  return (
    podTemplateHash !== undefined &&
    status?.stableRS === podTemplateHash &&
    status?.currentPodHash === podTemplateHash &&
    status?.phase === 'Healthy' &&
    generationObserved(current.metadata.generation, status?.observedGeneration)
  );
}

function planData(plan: RollbackPlan): ArgoPlanData {
  const { action, podTemplateHash } = plan.data;
  if (
    (action !== 'abort' && action !== 'undo') ||
    (podTemplateHash !== undefined && typeof podTemplateHash !== 'string')
  ) {
    throw refuse('the rollback plan was not made by the argo-rollouts adapter', 'plan the rollback again');
  }
  return { action, podTemplateHash };
}
