import { formatDuration } from '../../core/duration.js';
import { describeRange } from '../../core/gates.js';
import { STAGES } from '../../core/stages.js';
import { thresholdOf } from '../../engine/measure.js';
import type { ServingConfig } from '../../runbooks/serving.js';
import type { Check, Runbook } from '../../runbooks/schema.js';
import { linksLine } from './elements.js';
import { escapeLine, fitLines, LIMITS } from './limits.js';
import { mention, mentions } from './thread.js';

/** Check rows shown; the runbook file has the rest. */
const MAX_CHECKS = 10;
/** Characters of links: the checks below need the rest of the section. */
const LINKS_TEXT = 1000;

/** Where a serving block points, in the adapters' own `target` terms (without reading any secret). */
export function describeServing(serving: ServingConfig): string {
  switch (serving.adapter) {
    case 'kserve':
      return `kserve ${serving.namespace}/${serving.name} (${serving.mode}, ${serving.component})`;
    case 'argo-rollouts':
      return `argo-rollouts ${serving.namespace}/${serving.name}`;
    case 'sagemaker':
      return `sagemaker ${serving.endpoint}${serving.region ? ` (${serving.region})` : ''}`;
    case 'vertex':
      return `vertex ${serving.project}/${serving.location}/endpoints/${serving.endpoint}`;
    case 'mlflow':
      return `mlflow ${serving.registeredModel}@${serving.alias}`;
    case 'http':
      // The host only: a URL's path or query may carry things that do not belong in a channel.
      return `http ${serving.rollback.method} ${hostOf(serving.rollback.url)}`;
    case 'command':
      return `command ${serving.argv[0] ?? ''}`;
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url.split('/')[0] ?? url;
  }
}

function checkLine(check: Check): string {
  const threshold = thresholdOf(check);
  const fail = threshold.fail ? `, fail outside ${describeRange(threshold.fail, check.unit)}` : '';
  return `• ${escapeLine(check.name, 80)} (${check.kind}): ${describeRange(threshold, check.unit)}${fail}; no data → ${check.noData}`;
}

const POLICY_TEXT: Record<Runbook['rollback']['policy'], string> = {
  auto: 'rolls back at once on a breached threshold',
  approve: 'asks a person first',
  'two-person': 'one person requests, a second approves',
};

/** What the Runbook button shows (ephemeral): who owns the model, how rollbacks are decided and timed. */
export function runbookSummary(runbook: Runbook): string {
  const { rollback, triage, confirm } = runbook;
  const channel = mention(runbook.channel);
  const head = [
    `*Runbook: ${escapeLine(runbook.model, 80)}* (tier ${runbook.tier}) · owner ${mention(runbook.owner)} · ${channel}`,
    `*Rollback*: ${rollback.policy} (${POLICY_TEXT[rollback.policy]}); who may decide: ${mentions(rollback.approvers, 'anyone in the channel')}; no data: ${rollback.onNoData === 'ask' ? 'ask a person' : 'roll back'}`,
    `*Targets*: ${STAGES.map((stage) => `${stage} ${formatDuration(runbook.targets[stage])}`).join(' · ')}`,
    `*Serving*: ${escapeLine(describeServing(runbook.serving), 300)}`,
    `*Escalation*: ${mentions(runbook.escalation.mention, '_none_')}`,
    `*Retrospective*: due ${formatDuration(runbook.retro.due)} after the incident ends; reminders mention ${mentions(runbook.retro.mention, '_nobody_')}`,
    `*Links*: ${linksLine(runbook.links, LINKS_TEXT) || '_none_'}`,
    `*Confirm*: ${confirm.consecutive} passes in a row, every ${formatDuration(confirm.interval)}, within ${Math.round(confirm.tolerance * 100)}% of the baseline`,
    `*Triage*: breach when ${triage.failing} of ${triage.samples} measurements fail, every ${formatDuration(triage.interval)}`,
  ];
  if (runbook.drill) {
    const where =
      runbook.drill.serving && !runbook.drill.dryRun ? describeServing(runbook.drill.serving) : 'dry run';
    head.push(
      `*Drill*: ${escapeLine(runbook.drill.schedule, 80)} (${escapeLine(runbook.drill.timezone, 60)}) on ${escapeLine(where, 300)}`,
    );
  }
  const used = head.join('\n').length;
  const checks = triage.checks.length
    ? fitLines(triage.checks.map(checkLine), {
        max: LIMITS.sectionText - used - 1,
        maxLines: MAX_CHECKS,
        noun: 'checks',
      })
    : '_no checks: a person triages_';
  return fitLines([...head, checks], { max: LIMITS.sectionText });
}
