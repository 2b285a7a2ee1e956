/**
 * The runbook rollbot runs in the real-stack test: triage on the model servers' real metrics, the `command`
 * serving adapter driving haproxy through traffic-switch.ts, and windows of seconds instead of minutes so a
 * scenario ends in well under two minutes. Stage targets stay the production defaults (5/10/5/15 min).
 */
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { modelQueries, THRESHOLDS } from './signals.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SWITCH_SCRIPT = fileURLToPath(new URL('./traffic-switch.ts', import.meta.url));

export interface RunbookOptions {
  model: string;
  channel: string;
  policy: 'auto' | 'approve';
  approvers: string[];
  haproxy: { socketPath: string; backend: string };
}

/** `node --import tsx traffic-switch.ts --socket … --backend … <args>`: an argv, run without a shell. */
export function switchArgv(haproxy: RunbookOptions['haproxy'], ...args: string[]): string[] {
  return [
    process.execPath,
    '--import',
    'tsx',
    SWITCH_SCRIPT,
    '--socket',
    haproxy.socketPath,
    '--backend',
    haproxy.backend,
    ...args,
  ];
}

export function runbookYaml(options: RunbookOptions): string {
  const queries = modelQueries(options.model);
  return stringify({
    model: options.model,
    owner: '@fraud-ml',
    channel: options.channel,
    tier: 1,
    serving: {
      adapter: 'command',
      argv: switchArgv(options.haproxy, 'switch', '{{to}}'),
      // Read back from haproxy itself: rollbot reports success only when haproxy routes to the target.
      statusArgv: switchArgv(options.haproxy, 'status'),
      regime: 'traffic-flip',
      timeout: '30s',
      // `--import tsx` is resolved from here.
      cwd: REPO_ROOT,
    },
    triage: {
      checks: [
        { name: 'error rate', kind: 'error', query: queries.errorRatio, max: THRESHOLDS.errorRatio },
        {
          name: 'approval rate',
          kind: 'business',
          query: queries.approvalRatio,
          min: THRESHOLDS.approvalRatio,
        },
        { name: 'p99 latency', kind: 'latency', query: queries.p99, max: THRESHOLDS.p99Seconds },
      ],
      interval: '1s',
      samples: 3,
      failing: 2,
      trend: '60s',
    },
    rollback: { policy: options.policy, approvers: options.approvers },
    // initialDelay: the 5 s rate windows (plus a scrape, plus v2's last slow answers) must hold only traffic
    // after the switch before the first measurement.
    confirm: { interval: '2s', initialDelay: '8s', consecutive: 3 },
    targets: { detect: '5m', triage: '10m', rollback: '5m', confirm: '15m' },
  });
}
