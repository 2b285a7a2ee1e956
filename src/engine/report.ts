import { formatDuration } from '../core/duration.js';
import type { IncidentDetail } from './views.js';

/**
 * An incident as a Markdown document: the header, each stage against its target, and the timeline. This is
 * the skeleton of the retrospective (`rollbot timeline <id> --format md`).
 */
export function incidentMarkdown(detail: IncidentDetail): string {
  const lines = [
    `# ${detail.id}: ${detail.model}${detail.drill ? ' (drill)' : ''}`,
    '',
    `- **Severity:** ${detail.severity}`,
    `- **Summary:** ${detail.summary}`,
    `- **Phase:** ${detail.phase}`,
    `- **Opened:** ${detail.openedAt}`,
  ];
  if (detail.resolvedAt) lines.push(`- **Resolved:** ${detail.resolvedAt}`);
  if (detail.decision) {
    const d = detail.decision;
    lines.push(
      `- **Decision:** ${d.kind} by ${d.by} (${d.trigger}) at ${new Date(d.at).toISOString()}: ${d.reason}`,
    );
  }
  lines.push(
    '',
    '## Stages against targets',
    '',
    '| stage | state | time | target | result |',
    '|---|---|---|---|---|',
  );
  for (const stage of detail.stages) {
    const time = stage.state === 'pending' ? '—' : formatDuration(stage.elapsedMs);
    const result =
      stage.state === 'pending' ? '' : stage.breached ? 'missed' : stage.state === 'done' ? 'met' : 'running';
    lines.push(
      `| ${stage.stage} | ${stage.state} | ${time} | ${formatDuration(stage.targetMs)} | ${result} |`,
    );
  }
  lines.push('', '## Timeline', '');
  for (const entry of detail.timeline) {
    lines.push(`- \`${new Date(entry.at).toISOString()}\` **${entry.type}** (${entry.actor}): ${entry.text}`);
  }
  return `${lines.join('\n')}\n`;
}
