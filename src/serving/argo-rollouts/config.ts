import { z } from 'zod';
import { k8sName } from '../kserve/config.js';

/** `serving: {adapter: argo-rollouts, …}`: a Rollout. */
export const argoRolloutsConfig = z.strictObject({
  adapter: z.literal('argo-rollouts'),
  namespace: k8sName,
  name: k8sName,
});
