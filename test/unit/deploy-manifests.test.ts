import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { productionRuntimeEnv } from '../../bench/support/production-env.js';
import { ROLLBACK_DRAIN_MS } from '../../src/shutdown-drain.js';

const docs = (file: string) =>
  parseAllDocuments(readFileSync(new URL(`../../deploy/kubernetes/${file}`, import.meta.url), 'utf8')).map(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (doc) => doc.toJS() as any,
  );

describe('Kubernetes manifests', () => {
  const objects = docs('rollbot.yaml');
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  it('run two replicas with liveness and readiness probes, non-root, behind a PodDisruptionBudget', () => {
    const [deployment] = byKind('Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const [container] = deployment.spec.template.spec.containers;
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(byKind('PodDisruptionBudget')[0].spec.minAvailable).toBe(1);
    expect(byKind('StatefulSet')[0].spec.template.spec.containers[0].args).toEqual(['--appendonly', 'yes']);
  });

  it('grant exactly what the kserve and argo-rollouts adapters call, nothing wider', () => {
    const [role] = docs('rbac.yaml').filter((o) => o.kind === 'Role');
    const rules = role.rules.map(
      (r: { apiGroups: string[]; resources: string[]; verbs: string[] }) =>
        `${r.apiGroups[0]}/${r.resources[0]}: ${r.verbs.join(',')}`,
    );
    expect(rules).toEqual([
      'serving.kserve.io/inferenceservices: get,patch',
      'argoproj.io/rollouts: get,patch',
      'argoproj.io/rollouts/status: patch',
      'apps/replicasets: list',
    ]);
    expect(JSON.stringify(role)).not.toContain('*');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
  it('is multi-stage, installs production dependencies only, runs as non-root with a health check', () => {
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    expect(text).toContain('npm ci --omit=dev');
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
  });

  it('bounds the V8 heap and malloc arenas, and the bench runs rollbot with the same settings', () => {
    expect(productionRuntimeEnv()).toEqual({
      NODE_ENV: 'production',
      NODE_OPTIONS: '--max-semi-space-size=8 --max-old-space-size=384',
      MALLOC_ARENA_MAX: '2',
    });
  });

  it("keeps V8's old-generation ceiling at 3/4 of the Deployment's memory limit, room for the rest of the process", () => {
    const ceilingMb = Number(
      /--max-old-space-size=(\d+)/.exec(productionRuntimeEnv().NODE_OPTIONS ?? '')?.[1],
    );
    const [deployment] = docs('rollbot.yaml').filter((o) => o.kind === 'Deployment');
    const limit = String(deployment.spec.template.spec.containers[0].resources.limits.memory);
    expect(limit).toMatch(/^\d+Mi$/);
    expect(ceilingMb).toBe((parseInt(limit, 10) * 3) / 4);
  });

  it('keeps a stopping pod serving until endpoints forget it, and still leaves the drain its time in the grace period', () => {
    const [deployment] = docs('rollbot.yaml').filter((o) => o.kind === 'Deployment');
    const pod = deployment.spec.template.spec;
    const [sleep, seconds] = pod.containers[0].lifecycle.preStop.exec.command;
    expect(sleep).toBe('sleep');
    expect(Number(seconds)).toBeGreaterThanOrEqual(5);
    // preStop, then SIGTERM: the drain (40 s) and ~10 s to flush Slack and pages and close Redis must still fit.
    expect(Number(seconds) + ROLLBACK_DRAIN_MS / 1000 + 10).toBeLessThanOrEqual(
      pod.terminationGracePeriodSeconds,
    );
  });
});
