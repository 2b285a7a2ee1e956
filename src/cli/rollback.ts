import { parseArgs } from 'node:util';
import { formatDuration } from '../core/duration.js';
import { RollbotError } from '../core/errors.js';
import { DEPLOYMENT_STRATEGIES, type DeploymentStrategy } from '../core/ledger.js';
import { oneLine } from '../core/text.js';
import type { RollbackStep } from '../engine/rollback.js';
import type { GateAnswer } from '../engine/gate.js';
import type { Backend } from './backend.js';
import { IN_MEMORY_OPTION, type Access } from './in-memory.js';
import { failureText } from './format.js';
import { refuseEmpty, usageOf } from './usage.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const ROLLBACK_USAGE = usageOf('rollback');
const DEPLOY_USAGE = usageOf('deployRecord');

/** `rollbot rollback`: prints each step as it happens; exit 0 on success or dry run, 1 on failure. */
export async function rollbackCommand(
  args: string[],
  user: string,
  backend: (access: Access) => Promise<Backend>,
  io: Io,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      from: { type: 'string' },
      reason: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      ...IN_MEMORY_OPTION,
    },
  });
  const model = positionals[0];
  if (!model || positionals.length > 1) throw new RollbotError('BAD_REQUEST', ROLLBACK_USAGE);
  if (!values.reason?.trim()) {
    throw new RollbotError('BAD_REQUEST', `a rollback needs a reason\n${ROLLBACK_USAGE}`, {
      hint: 'say why, e.g. --reason "p99 doubled after v42"',
    });
  }
  refuseEmpty(
    '--to',
    values.to,
    'rollback',
    "give the version to roll back to, or leave --to out for the runbook's target (see it with --dry-run)",
  );
  refuseEmpty(
    '--from',
    values.from,
    'rollback',
    "give the version you saw serving (the plan's from, e.g. from --dry-run), or leave --from out",
  );
  const client = await backend({ writes: !values['dry-run'], inMemory: values['in-memory'], dryRun: true });
  try {
    const result = await client.rollback(
      {
        model,
        reason: values.reason,
        by: user,
        trigger: 'cli',
        dryRun: values['dry-run'],
        // Trimmed, as the API takes versions (http/fields.ts) and the in-process backend does not.
        ...(values.to ? { to: values.to.trim() } : {}),
        ...(values.from ? { from: values.from.trim() } : {}),
      },
      (step) => io.out(formatStep(step)),
    );
    // The model as the runbook names it (`Fraud-Scorer` typed is fraud-scorer).
    const { plan, drill, model: rolled } = result;
    // The versions are the serving layer's, as it reported them.
    const from = oneLine(plan.from ?? '(unknown)');
    const to = oneLine(plan.to);
    // A rollback asked for by model while its drill was open was the drill's: said last, where the eye lands.
    const drillLine = drill ? `${drill.note.charAt(0).toUpperCase()}${oneLine(drill.note.slice(1))}` : '';
    if (result.outcome === 'dry-run') {
      io.out(
        `dry run: would roll ${rolled} back ${from} → ${to} (${plan.regime}, ETA ${formatDuration(plan.etaMs)}); nothing was changed`,
      );
      if (drill) io.out(drillLine);
      return 0;
    }
    if (result.outcome === 'succeeded') {
      io.out(
        drill
          ? `rolled ${rolled} back to ${to} (DRILL ${result.incidentId}); the drill is scored in the channel — rollbot timeline ${result.incidentId}`
          : `rolled ${rolled} back to ${to} (${result.incidentId}); confirmation is running — rollbot timeline ${result.incidentId}`,
      );
      if (drill) io.out(drillLine);
      return 0;
    }
    // An unknown outcome's message says so ("outcome unknown: the change to … was made, but …"): not FAILED.
    const verdict = result.outcome === 'unknown' ? '' : ' FAILED';
    io.err(
      failureText(
        `rollback of ${rolled}${verdict} (${drill ? 'DRILL ' : ''}${result.incidentId}): ${result.error?.message ?? 'unknown error'}`,
        result.error?.hint,
      ),
    );
    if (drill) io.err(drillLine);
    return 1;
  } finally {
    await client.close();
  }
}

/** One step on one line; its text carries the serving layer's state, versions and errors. */
function formatStep(step: RollbackStep): string {
  const time = new Date(step.at).toISOString().slice(11, 19);
  return `[${time}] ${step.kind.padEnd(9)} ${oneLine(step.text)}`;
}

/** `rollbot deploy record <model> <version>`: adds to the ledger and prints the deployment gate. */
export async function deployCommand(
  args: string[],
  user: string,
  backend: (access: Access) => Promise<Backend>,
  io: Io,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      previous: { type: 'string' },
      strategy: { type: 'string', default: 'canary' },
      traffic: { type: 'string' },
      ...IN_MEMORY_OPTION,
    },
  });
  const [action, model, version] = positionals;
  if (action !== 'record' || !model || !version || positionals.length > 3)
    throw new RollbotError('BAD_REQUEST', DEPLOY_USAGE);
  if (!DEPLOYMENT_STRATEGIES.includes(values.strategy as DeploymentStrategy)) {
    throw new RollbotError(
      'BAD_REQUEST',
      `unknown strategy "${values.strategy}": use one of ${DEPLOYMENT_STRATEGIES.join(', ')}`,
    );
  }
  refuseEmpty(
    'the version',
    version,
    'deployRecord',
    'give the version being deployed, as the serving layer names it (quote a variable: "$VERSION")',
  );
  refuseEmpty(
    '--previous',
    values.previous,
    'deployRecord',
    'give the version that served before this deployment, or leave --previous out',
  );
  refuseEmpty(
    '--traffic',
    values.traffic,
    'deployRecord',
    'give the share of traffic the version has now, 0 to 100, or leave --traffic out once it has all of it',
  );
  const traffic = values.traffic === undefined ? undefined : Number(values.traffic);
  if (traffic !== undefined && !(Number.isFinite(traffic) && traffic >= 0 && traffic <= 100)) {
    throw new RollbotError('BAD_REQUEST', `--traffic "${values.traffic}" is not a percentage`, {
      hint: 'give the share of traffic the version has now, 0 to 100 (omit it once it has all of it)',
    });
  }
  const client = await backend({ writes: true, inMemory: values['in-memory'] });
  try {
    // Without spaces around them, as the API takes them (http/fields.ts): the in-process backend takes them as given.
    const { deployment, gate } = await client.recordDeployment({
      model,
      version: version.trim(),
      strategy: values.strategy as DeploymentStrategy,
      by: user,
      ...(values.previous !== undefined ? { previousVersion: values.previous.trim() } : {}),
      ...(traffic !== undefined ? { traffic } : {}),
    });
    io.out(
      `recorded ${deployment.model} ${deployment.version} (${deployment.strategy}) at ${new Date(deployment.at).toISOString()}`,
    );
    io.out(gateLine(gate));
    return 0;
  } finally {
    await client.close();
  }
}

/**
 * The gate in one line, as CI logs show it. Its reasons quote outside text (an open incident's alert summary,
 * an action item), which `oneLine` keeps on that line and inert.
 */
export function gateLine(gate: GateAnswer): string {
  return oneLine(gateText(gate));
}

/**
 * What lets an open gate's deployment through when something had to, as the API's answer has it: an approver's
 * override despite the reasons it still lists (a CI log saying just "open" would hide open action items), or
 * an approval; who, and until when.
 */
function heldOpenBy(gate: GateAnswer): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const { override, approval } = gate;
  if (override)
    return ` — overridden by ${override.by} until ${iso(override.until)} (${override.reason}) despite: ${gate.reasons.join('; ')}`;
  if (approval?.approved)
    return ` — approved by ${approval.approved.by} until ${iso(approval.approved.until)} (${approval.reasons.join('; ')})`;
  return '';
}

function gateText(gate: GateAnswer): string {
  if (gate.status === 'closed') return `gate: closed — ${gate.reasons.join('; ')}`;
  const watch = gate.watch
    ? ` (watching ${gate.watch.version} until ${new Date(gate.watch.until).toISOString()})`
    : '';
  if (gate.status === 'open') return `gate: open${heldOpenBy(gate)}${watch}`;
  const who = gate.approval?.approvers.length ? gate.approval.approvers.join(', ') : 'anyone in the channel';
  // An approval given for an earlier deployment (one recorded while it was being given) is why CI still waits.
  const outdated = gate.approval?.outdated ? `; ${gate.approval.outdated.why}` : '';
  return `gate: approval required — ${gate.approval?.reasons.join('; ') ?? ''}; ${who} may approve via ${gate.approval?.how ?? ''}${outdated}${watch}`;
}
