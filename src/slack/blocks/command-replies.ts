import type { KnownBlock } from '@slack/types';
import { isRollbotError } from '../../core/errors.js';
import { formatValue } from '../../core/gates.js';
import { describeWarnings, isPartial } from '../../core/partial.js';
import { formatSeverity } from '../../core/severity.js';
import type { Declared } from '../../engine/declare.js';
import type { FreezeOutcome } from '../../engine/freeze.js';
import { EVERY_MODEL, freezeReason, type Freeze } from '../../engine/freeze-rules.js';
import type { IncidentListItem, IncidentView } from '../../engine/views.js';
import { COMMANDS } from '../ids.js';
import { isChannelId } from '../notifier/channels.js';
import { NotUnderstood } from '../parse.js';
import {
  fallbackText,
  headline,
  outcomeText,
  stageLine,
  triageText,
  versionsText,
} from './incident-message.js';
import { contextLine, field, linksLine, section } from './elements.js';
import { escapeLine, fitLines, inlineCode, LIMITS, truncate } from './limits.js';
import { mention } from './thread.js';

/** Incidents listed in one reply; the rest are counted (the API and CLI list them all). */
export const MAX_LISTED_INCIDENTS = 20;
const PER_SECTION = 10;

/**
 * A usage line: the command in a code span, escaped (Slack reads `<model>` as a link even there: only `&lt;` shows
 * a `<`), then what it does.
 */
function usageLine(command: string, what: string): string {
  return `${inlineCode(command, 300)} — ${what}`;
}

/** Each command's usage, the one text of it: the help lists them all, a reply to text not understood its own. */
const USAGE: Record<string, string[]> = {
  [COMMANDS.rollback]: [
    usageLine(`${COMMANDS.rollback} <model> [to <version>] [reason]`, `plan a rollback and confirm it`),
  ],
  [COMMANDS.incident]: [
    usageLine(`${COMMANDS.incident} list`, `open incidents`),
    usageLine(`${COMMANDS.incident} show <id>`, `one incident: checks, runbook clock, decision`),
    usageLine(
      `${COMMANDS.incident} open <model> <sev1–sev4> <what is wrong>`,
      `declare an incident (no alert needed)`,
    ),
    usageLine(`${COMMANDS.incident} ack <id>`, `say you are on it`),
    usageLine(`${COMMANDS.incident} resolve <id> <reason>`, `service is restored`),
    usageLine(`${COMMANDS.incident} dismiss <id> <reason>`, `not a rollback (as the message's button)`),
    usageLine(
      `${COMMANDS.incident} note <id> <text>`,
      `add what you found to the incident's timeline (for the retrospective)`,
    ),
  ],
  [COMMANDS.rollbot]: [
    usageLine(`${COMMANDS.rollbot} help`, `this help`),
    usageLine(
      `${COMMANDS.rollbot} freeze <model> until <ISO time> <reason>`,
      `hold the model's deployments until then (\`--all\`: every model's), e.g. \`until 2026-12-27T09:00:00Z\``,
    ),
    usageLine(
      `${COMMANDS.rollbot} unfreeze <model> [reason]`,
      `lift a deploy freeze before its time (\`--all\`: the freeze of every model)`,
    ),
  ],
  [COMMANDS.drill]: [
    usageLine(`${COMMANDS.drill} list`, `drill schedules, next runs and last results`),
    usageLine(`${COMMANDS.drill} run <model>`, `rehearse the rollback now (against the drill target)`),
  ],
};

function codeList(names: readonly string[]): string {
  return names.length ? names.map((name) => inlineCode(name, 82)).join(', ') : '_none configured_';
}

/** `label: `a`, `b`` for at most 50 names, the rest counted. */
export function namesLine(label: string, names: readonly string[]): string {
  return `${label}: ${codeList(names.slice(0, 50))}${names.length > 50 ? ` +${names.length - 50} more` : ''}`;
}

/** The `/rollbot help` text: every command and the models that have a runbook. */
export function helpText(models: string[]): string {
  const lines = [
    '*rollbot* rolls ML models back to their last known-good version and keeps the runbook clock.',
    ...Object.values(USAGE).flat(),
  ];
  return truncate(`${lines.join('\n')}\n${namesLine('Known models', models)}`, LIMITS.sectionText);
}

/** How to use one command (any other string gets a pointer to the help). */
export function usage(command: string): string {
  const lines = USAGE[command];
  if (!lines) return `Unknown command. Try \`${COMMANDS.rollbot} help\`.`;
  return `Usage:\n${lines.join('\n')}`;
}

/**
 * The reply to a command's text it did not understand: what it was (`problem`, rollbot's words with any outside
 * text already made safe, as `inlineCode` does), the likeliest command meant, if any, then the command's usage
 * and `valid` (what else may be written there, e.g. a `namesLine` of models).
 */
export function notUnderstood(command: string, problem: string, meant?: string, valid?: string): string {
  const hint = meant === undefined ? '' : ` Did you mean ${inlineCode(meant, 300)}?`;
  const lines = [`⚠️ ${problem}.${hint}`, usage(command), ...(valid ? [valid] : [])];
  return truncate(lines.join('\n'), LIMITS.fallbackText);
}

/** The clock people care about: the first running stage, or the phase when nothing runs. */
function clock(view: IncidentListItem): string {
  const running = view.stages.find((stage) => stage.state === 'running');
  return running ? stageLine(running) : view.phase;
}

/** `/incident list`: one line per incident, at most MAX_LISTED_INCIDENTS, in sections of ten. */
export function incidentList(views: readonly IncidentListItem[]): { text: string; blocks: KnownBlock[] } {
  if (views.length === 0)
    return { text: 'No incidents.', blocks: [section('incidents_none', 'No incidents.')] };
  const listed = views.slice(0, MAX_LISTED_INCIDENTS);
  const lines = listed.map((view) => {
    const drill = view.drill ? ' 🧪 DRILL' : '';
    const what = `*${escapeLine(view.id, 40)}* ${escapeLine(view.model, 80)}`;
    return `${what} · ${view.severity} · ${view.phase}${drill} · ${clock(view)}`;
  });
  const blocks: KnownBlock[] = [section('incidents_head', `*Incidents* (${views.length})`)];
  for (let i = 0; i < lines.length; i += PER_SECTION) {
    const chunk = lines.slice(i, i + PER_SECTION);
    blocks.push(section(`incidents_${i / PER_SECTION}`, fitLines(chunk, { max: LIMITS.sectionText })));
  }
  if (views.length > listed.length) {
    const more = `+${views.length - listed.length} more; \`${COMMANDS.incident} show <id>\` for one`;
    blocks.push(contextLine('incidents_more', more));
  }
  const ids = listed.map((view) => view.id).join(', ');
  return { text: escapeLine(`${views.length} incidents: ${ids}`, LIMITS.fallbackText), blocks };
}

/** `/incident show <id>`: the incident message's content without buttons, plus alerts, decision and impact. */
export function incidentSummary(view: IncidentView): { text: string; blocks: KnownBlock[] } {
  const alerts = view.alerts.map((alert) => {
    const resolved = alert.resolvedAt === undefined ? '' : ', resolved';
    return `• ${escapeLine(alert.name, 120)} (${alert.source}${resolved})`;
  });
  // The first alert's graph at its source, when it fits (a link cut short would be a broken one).
  const source = view.sourceUrl ? linksLine([{ name: 'source graph', url: view.sourceUrl }], 700) : '';
  const listed = fitLines(alerts, { max: 1200, maxLines: 10, noun: 'alerts', total: view.alertCount });
  const fields = [
    field('Versions', versionsText(view)),
    field('Alerts', [source, listed].filter(Boolean).join('\n') || '_none_'),
  ];
  if (view.decision) {
    const { kind, by, reason } = view.decision;
    fields.push(field('Decision', `${kind} by ${mention(by)}: ${escapeLine(reason, 800)}`));
  }
  if (view.impact) {
    const excess = view.impact.excessFailedRequests;
    const partial = isPartial(view.impact)
      ? ` ⚠️ partial answer: ${escapeLine(describeWarnings(view.impact.warnings ?? []), 200)}`
      : '';
    const body =
      excess === undefined
        ? escapeLine(view.impact.formula, 500)
        : `~${formatValue(excess)} excess failed requests${partial}`;
    fields.push(field(`Impact (${escapeLine(view.impact.check, 100)})`, body));
  }
  const blocks: KnownBlock[] = [
    { type: 'header', block_id: 'incident_header', text: { type: 'plain_text', text: headline(view) } },
    section('incident_summary', escapeLine(view.summary, 2000) || '_no summary_'),
    { type: 'section', block_id: 'incident_fields', fields },
    section('incident_triage', triageText(view.triage)),
    section('incident_checklist', `*Runbook*\n${view.stages.map(stageLine).join('\n')}`),
    section('incident_outcome', view.open ? `Open since ${view.openedAt}` : outcomeText(view)),
  ];
  if (view.watch) blocks.push(contextLine('incident_watch', `👀 ${escapeLine(view.watch.note, 500)}`));
  return { text: fallbackText(view), blocks };
}

/**
 * A command's error for people: text it did not understand with the command's usage; a RollbotError's message and
 * fix; anything else a generic line (never a stack).
 */
export function errorReply(error: unknown): string {
  if (error instanceof NotUnderstood) return notUnderstood(error.command, error.problem, error.meant);
  if (!isRollbotError(error)) return '⚠️ Something went wrong; the log has details.';
  const fix = error.hint ? `\nfix: ${escapeLine(error.hint, 1000)}` : '';
  return `⚠️ ${escapeLine(error.message, 2500)}${fix}`;
}

/** The reply to `/incident open`: the incident it opened, or the open one the report joined. */
export function declaredReply(model: string, channel: string, declared: Declared): string {
  const severity = formatSeverity(declared.severity);
  if (declared.outcome === 'attached')
    return `${model} already has ${declared.incidentId} open: your report joined it (${severity}).`;
  // An ID is linked (`<#C…>`); a `#name` the listener could not resolve (context.ts linkableChannel) is shown as it is.
  const where = isChannelId(channel) ? `<#${channel}>` : channel;
  return `Opened ${declared.incidentId} (${severity}) for ${model} in ${where}: triage measures it now.`;
}

/**
 * The reply to `/rollbot freeze` or `unfreeze` that went through: what it covers, and that the channels were told
 * (freeze.ts announces it), with what still holds a model whose own freeze was lifted.
 */
export function freezeReply(verb: 'freeze' | 'unfreeze', outcome: FreezeOutcome, channels: number): string {
  const { freeze, models, heldStillBy, stillFrozen = [], replaced } = outcome;
  const shown = models.slice(0, 10).join(', ') + (models.length > 10 ? ` +${models.length - 10} more` : '');
  const what = freeze.model === EVERY_MODEL ? `every model (${shown})` : freeze.model;
  const told = channels === 1 ? 'The channel has been told.' : 'The channels have been told.';
  if (verb === 'freeze') {
    // A shorter freeze over a colleague's longer one is said, not done unawares.
    const replacing = replaced ? ` It replaces the ${escapeLine(freezeReason(replaced), 600)}.` : '';
    return `Deployments of ${what} are frozen until ${new Date(freeze.until).toISOString()}. ${told}${replacing}`;
  }
  const still = heldStillBy
    ? ` The deploy freeze of every model by ${escapeLine(heldStillBy.by, 200)} until ${new Date(heldStillBy.until).toISOString()} still holds it: lift that one with \`${COMMANDS.rollbot} unfreeze --all\`.`
    : '';
  return `The deploy freeze of ${what} is lifted. ${told}${still}${frozenOnTheirOwn(stillFrozen)}`;
}

/** After the freeze of every model is lifted: each model still frozen on its own, and how to lift its freeze. */
function frozenOnTheirOwn(freezes: readonly Freeze[]): string {
  if (freezes.length === 0) return '';
  const lines = freezes.map((own) => {
    const lift = inlineCode(`${COMMANDS.rollbot} unfreeze ${own.model}`, 120);
    return `• ${escapeLine(own.model, 80)}: ${escapeLine(freezeReason(own), 600)} — lift it with ${lift}`;
  });
  const head =
    freezes.length === 1
      ? 'Still frozen on its own, its gate closed:'
      : 'Still frozen on their own, their gates closed:';
  return ` ${head}\n${fitLines(lines, { max: 2500, maxLines: 10, noun: 'models frozen on their own' })}`;
}
