import { randomBytes } from 'node:crypto';

/**
 * A suffix for this run's model names. The shared Redis (or an external REDIS_URL) outlives a test run, and
 * an incident is per model: fresh names keep an earlier run's open incidents, ledger and locks out of the way.
 */
const RUN = randomBytes(3).toString('hex');

/** `ranker` → `ranker-3f9a1c`: a model name of this run only. */
export function uniqueModel(base: string): string {
  return `${base}-${RUN}`;
}

export interface RunbookOptions {
  model: string;
  /** The fake serving layer's base URL (FakeServing.url). */
  servingUrl: string;
  channel?: string;
  policy?: 'auto' | 'approve' | 'two-person';
  approvers?: string[];
  /** Per-request timeout of the http adapter, e.g. `2s`. */
  servingTimeout?: string;
  /** The http adapter's ETA, e.g. `2s`: a rollback attempt retries for up to twice it (or the rollback target). */
  eta?: string;
  /** Stage targets, e.g. `{ rollback: '10s' }`. */
  targets?: Partial<Record<'detect' | 'triage' | 'rollback' | 'confirm' | 'retro', string>>;
  /** Alert labels this model takes (default: `model: <model>`). */
  match?: Record<string, string>;
  /** YAML lines of `triage:` checks, indented as list items under `checks:`. */
  checks?: string[];
  /** The `drill:` block as one flow mapping, e.g. `{ schedule: "0 10 * * *", dryRun: true }`. */
  drill?: string;
}

/**
 * A runbook whose serving layer is the fake one over the `http` adapter: a status request that reports the
 * active and previous versions, and a rollback request that names the target and the incident.
 */
export function runbookText(options: RunbookOptions): string {
  const { model, servingUrl } = options;
  const lines = [
    `model: ${model}`,
    'owner: "@ml-e2e"',
    `channel: ${options.channel ?? 'C0TEST0001'}`,
    'tier: 2',
    'serving:',
    '  adapter: http',
    `  rollback: { url: "${servingUrl}/models/{{model}}/rollback", body: { to: "{{to}}", incident: "{{incident}}" } }`,
    `  status: { url: "${servingUrl}/models/{{model}}/status", versionPath: active.version, previousPath: previous }`,
    `  timeout: ${options.servingTimeout ?? '5s'}`,
    ...(options.eta ? [`  eta: ${options.eta}`] : []),
    `rollback: { policy: ${options.policy ?? 'approve'}, approvers: [${(options.approvers ?? []).join(', ')}] }`,
    'escalation: { mention: [S0PLATFORM] }',
  ];
  if (options.match) lines.push(`alerts: { match: ${flowMapping(options.match)} }`);
  if (options.targets) lines.push(`targets: ${flowMapping(options.targets)}`);
  if (options.checks) lines.push('triage:', '  checks:', ...options.checks.map((check) => `    - ${check}`));
  if (options.drill) lines.push(`drill: ${options.drill}`);
  return `${lines.join('\n')}\n`;
}

/** Runbook files for `runbookDir`: `<model>.yml` → text. */
export function runbookFiles(...runbooks: RunbookOptions[]): Record<string, string> {
  return Object.fromEntries(runbooks.map((options) => [`${options.model}.yml`, runbookText(options)]));
}

function flowMapping(record: Record<string, string | undefined>): string {
  const entries = Object.entries(record).filter(([, value]) => value !== undefined);
  return `{ ${entries.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')} }`;
}

/**
 * A drill schedule (cron with seconds, in UTC) whose next occurrence is at `at`: a drill "due now". Daily, the
 * next one a day on, past any test: a schedule sparser than every 100 days is refused at load.
 */
export function drillAtSchedule(at: number): string {
  const d = new Date(at);
  const cron = `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
  return `{ schedule: "${cron}", timezone: UTC, remind: [], dryRun: true }`;
}
