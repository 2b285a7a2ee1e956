import type { InputBlock, ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { isRollbotError } from '../../../src/core/errors.js';
import { notRollbackModal } from '../../../src/slack/blocks/not-rollback-modal.js';
import { rollbackModal, type RollbackModalInput } from '../../../src/slack/blocks/rollback-modal.js';
import { INPUTS, VIEWS } from '../../../src/slack/ids.js';
import { expectWithinSlackLimits } from '../../helpers/block-limits.js';
import { BROKEN, flattened, HOSTILE, PLAN, STATE } from './fixtures.js';

const INPUT: RollbackModalInput = {
  model: 'fraud-scorer',
  incidentId: 'INC-7',
  plan: PLAN,
  state: STATE,
  target: 'kserve ml-prod/fraud-scorer',
  policy: 'auto',
};

function input(view: ModalView, blockId: string): InputBlock {
  const found = view.blocks.find((block) => block.block_id === blockId);
  if (!found || found.type !== 'input') throw new Error(`no input block ${blockId}`);
  return found as InputBlock;
}

describe('rollbackModal', () => {
  it('shows the plan before anything happens, with a required reason and a dry-run box', () => {
    const view = rollbackModal(INPUT);
    expectWithinSlackLimits(view);
    expect(view.callback_id).toBe(VIEWS.rollback);
    expect(view.title.text).toBe('Roll back');
    expect(view.submit?.text).toBe('Roll back');
    // The version serving as planned goes with the target: a submission once another serves is refused.
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({
      model: 'fraud-scorer',
      incidentId: 'INC-7',
      to: 'fraud-scorer-00041',
      from: 'fraud-scorer-00042',
    });
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('`fraud-scorer-00042` → `fraud-scorer-00041`');
    expect(text).toContain('Traffic flip');
    expect(text).toContain('~30s');
    expect(text).toContain('kserve ml-prod/fraud-scorer');
    expect(text).toContain('canary fraud-scorer-00042 at 90%');
    expect(text).toContain('PATCH InferenceService ml-prod/fraud-scorer: canaryTrafficPercent 0');

    const reason = input(view, INPUTS.reason.block);
    expect(reason.optional).toBeUndefined();
    expect(reason.element).toMatchObject({
      type: 'plain_text_input',
      action_id: INPUTS.reason.action,
      multiline: true,
    });
    const dryRun = input(view, INPUTS.dryRun.block);
    expect(dryRun.optional).toBe(true);
    expect(dryRun.element).toMatchObject({
      type: 'checkboxes',
      action_id: INPUTS.dryRun.action,
      options: [{ text: { text: 'Dry run: plan only, change nothing' }, value: 'dry-run' }],
    });
  });

  it('asks for approval under the two-person rule and works without an incident', () => {
    const { incidentId: _incident, ...withoutIncident } = INPUT;
    const view = rollbackModal({ ...withoutIncident, policy: 'two-person' });
    expectWithinSlackLimits(view);
    expect(view.submit?.text).toBe('Request approval');
    expect(JSON.stringify(view.blocks)).toContain('a second approver must approve');
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({
      model: 'fraud-scorer',
      to: 'fraud-scorer-00041',
      from: 'fraud-scorer-00042',
    });
  });

  it('stays within every limit with hostile input and keeps the full versions in the metadata', () => {
    const to = `v-${'é'.repeat(1000)}`;
    const from = `<!channel> ${'ö'.repeat(1000)}`;
    const view = rollbackModal({
      ...INPUT,
      model: 'm'.repeat(500),
      plan: {
        ...PLAN,
        from,
        to,
        regime: 'redeploy',
        actions: Array.from({ length: 200 }, () => HOSTILE),
      },
      state: {
        ...STATE,
        settled: false,
        summary: HOSTILE,
        traffic: Array.from({ length: 100 }, (_, i) => ({ version: `${i}${HOSTILE}`, percent: 1 })),
      },
      target: HOSTILE,
    });
    expectWithinSlackLimits(view);
    expect(JSON.parse(view.private_metadata ?? '')).toMatchObject({ to, from });
    expect(JSON.stringify(view.blocks)).toMatch(/\+\d+ more actions/);
    expect(JSON.stringify(view.blocks)).toContain('still in flight');
  });

  it.each([
    ['to', { to: 'v'.repeat(4000) }],
    ['from', { from: 'v'.repeat(4000) }],
  ])('refuses a version that cannot be carried (%s) rather than carrying a cut one', (_, versions) => {
    let caught: unknown;
    try {
      rollbackModal({ ...INPUT, plan: { ...PLAN, ...versions } });
    } catch (error) {
      caught = error;
    }
    expect(isRollbotError(caught, 'BAD_REQUEST')).toBe(true);
  });
});

describe("the modals' outside text", () => {
  it("stays on rollbot's lines: versions, the serving layer's summary and planned actions, the target", () => {
    const broken: RollbackModalInput = {
      ...INPUT,
      model: `fraud ${BROKEN}`,
      incidentId: `INC-7 ${BROKEN}`,
      plan: { ...PLAN, from: `v42 ${BROKEN}`, to: `v41 ${BROKEN}`, actions: [`PATCH ${BROKEN}`] },
      state: {
        ...STATE,
        summary: `canary ${BROKEN}`,
        traffic: [{ version: `v42 ${BROKEN}`, percent: 100 }],
      },
      target: `kserve ${BROKEN}`,
    };
    // The blocks only: the metadata carries the versions as data, exactly.
    expect(rollbackModal(broken).blocks).toEqual(rollbackModal(flattened(broken)).blocks);
    const names = { model: `fraud ${BROKEN}`, incidentId: `INC-7 ${BROKEN}` };
    expect(notRollbackModal(names).blocks).toEqual(notRollbackModal(flattened(names)).blocks);
  });
});

describe("the rollback modal's versions", () => {
  it('keep a backtick in a version inside its code span', () => {
    const view = rollbackModal({
      ...INPUT,
      plan: { ...PLAN, from: 'v42` *x* `', to: 'v`41' },
      state: { ...STATE, traffic: [{ version: 'v42` *x* `', percent: 100 }] },
    });
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('`v42ˋ *x* ˋ` → `vˋ41`');
    expect(text).toContain('• `v42ˋ *x* ˋ` 100%');
    // The metadata carries the versions as they are: they are data, not text.
    expect(JSON.parse(view.private_metadata ?? '')).toMatchObject({ from: 'v42` *x* `', to: 'v`41' });
  });
});

describe('notRollbackModal', () => {
  it('asks for a reason and carries the incident', () => {
    const view = notRollbackModal({ model: 'fraud-scorer', incidentId: 'INC-7' });
    expectWithinSlackLimits(view);
    expect(view.callback_id).toBe(VIEWS.notRollback);
    expect(view.title.text).toBe('Not a rollback');
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({ model: 'fraud-scorer', incidentId: 'INC-7' });
    const reason = input(view, INPUTS.reason.block);
    expect(reason.optional).toBeUndefined();
    expect(reason.element).toMatchObject({ type: 'plain_text_input', action_id: INPUTS.reason.action });
  });

  it('stays within every limit with hostile names and escapes them', () => {
    const view = notRollbackModal({
      model: `<!here>${'ü'.repeat(800)}`,
      incidentId: `INC-${'💥'.repeat(300)}`,
    });
    expectWithinSlackLimits(view);
    expect(JSON.stringify(view.blocks)).not.toContain('<!here>');
  });
});
