import type { IncidentEvent } from '../engine/notifier-port.js';
import type { RunbookSet } from '../engine/runbook-set.js';
import { viewIncident } from '../engine/views.js';
import { decisionRequest } from './blocks/decision-request.js';
import { deployApprovalRequest } from './blocks/deploy-approval.js';
import { incidentMessage } from './blocks/incident-message.js';
import { LIMITS, escapeText, fitLines } from './blocks/limits.js';
import { retroMessage } from './blocks/retro.js';
import { mentionIds, threadLine } from './blocks/thread.js';
import type { SlackRenderer } from './notifier/render.js';

/** What the Slack notifier posts for each event: the incident message from its current state, and a thread line. */
export function createSlackRenderer(runbooks: RunbookSet): SlackRenderer {
  return {
    incidentMessage(event: IncidentEvent, now: number) {
      const runbook = runbooks.get(event.incident.model);
      const view = viewIncident(event.incident, now);
      return incidentMessage(
        view,
        {
          channel: event.channel,
          owner: runbook?.owner ?? '',
          escalation: runbook?.escalation.mention ?? [],
          links: runbook?.links ?? [],
          ...(view.watch ? { watchNote: view.watch.note } : {}),
        },
        now,
      );
    },
    channelMessage(event) {
      const { text, approveDeployment, approveRollback, mention = [] } = event;
      if (approveRollback)
        return decisionRequest({ ...approveRollback, incidentId: '', text, policy: 'two-person' });
      // Channel messages quote alert summaries and people's reasons: escaped, a `<!channel>` or a disguised
      // `<https://…|slack.com>` in them is shown, not acted on. `escapeText`, not `escapeLine`: the daily digest
      // is several lines of rollbot's, which Slack cannot tell from a line break in outside text; the engine keeps
      // what it quotes on its lines (`oneLine`: the digest's summaries, an approval's reason).
      // Fitted line by line: a message cut in the middle of a list loses its tail without saying so.
      return approveDeployment
        ? deployApprovalRequest({ text, ...approveDeployment })
        : {
            text: fitLines(
              // The IDs it is to notify become mentions once escaped: only those, never outside text.
              text.split('\n').map((line) => mentionIds(escapeText(line), mention)),
              { max: LIMITS.fallbackText, noun: 'lines' },
            ),
          };
    },
    retroMessage,
    threadReply(event: IncidentEvent) {
      if (event.type === 'retro.opened') return retroMessage(event.retro, event.text);
      if (event.type === 'decision.requested') {
        const { incident, text, policy, approvers, requestedAt } = event;
        return decisionRequest({
          model: incident.model,
          incidentId: incident.id,
          text,
          policy,
          approvers,
          ...(requestedAt === undefined ? {} : { requestedAt }),
        });
      }
      const text = threadLine(event);
      return text === undefined ? undefined : { text };
    },
  };
}
