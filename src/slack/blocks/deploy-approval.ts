import type { KnownBlock } from '@slack/types';
import { ACTIONS } from '../ids.js';
import { actionValue, button, contextLine, section } from './elements.js';
import { escapeLine, LIMITS } from './limits.js';
import { mentions } from './thread.js';

/**
 * The channel message asking for a deployment approval, with the Approve deployment button. The button carries
 * which deployment the request is for (`askedFor`): a press once another one waits approves nothing.
 */
export function deployApprovalRequest(input: {
  model: string;
  text: string;
  approvers: string[];
  askedFor: string;
}): {
  text: string;
  blocks: KnownBlock[];
} {
  const body = escapeLine(input.text, LIMITS.sectionText - 40);
  return {
    text: body,
    blocks: [
      section('deploy_approval_request', body),
      {
        type: 'actions',
        block_id: 'deploy_approval_actions',
        elements: [
          button(
            ACTIONS.approveDeployment,
            'Approve deployment',
            actionValue({ incidentId: '', model: input.model, askedFor: input.askedFor }),
          ),
        ],
      },
      contextLine(
        'deploy_approval_who',
        `May approve: ${mentions(input.approvers, 'anyone in this channel')}`,
      ),
    ],
  };
}
