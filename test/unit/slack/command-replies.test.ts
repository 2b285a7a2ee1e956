import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RollbotError } from '../../../src/core/errors.js';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import type { Runbook } from '../../../src/runbooks/schema.js';
import {
  errorReply,
  freezeReply,
  helpText,
  incidentList,
  incidentSummary,
  notUnderstood,
  usage,
} from '../../../src/slack/blocks/command-replies.js';
import { LIMITS } from '../../../src/slack/blocks/limits.js';
import { runbookSummary } from '../../../src/slack/blocks/runbook-summary.js';
import { COMMANDS } from '../../../src/slack/ids.js';
import { expectWithinSlackLimits } from '../../helpers/block-limits.js';
import {
  BROKEN,
  brokenView,
  flattened,
  HOSTILE,
  hostileView,
  resolvedIncident,
  stormed,
  triaged,
  viewAt,
} from './fixtures.js';

function fraudScorer(): Runbook {
  const text = readFileSync(new URL('../../../runbooks/fraud-scorer.yml', import.meta.url), 'utf8');
  const parsed = parseRunbook(text, 'fraud-scorer.yml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.runbook;
}

describe('model names in code spans', () => {
  it('keep a backtick in a name inside its span: the known models, the command meant', () => {
    expect(helpText(['fraud`scorer'])).toContain('Known models: `fraudˋscorer`');
    expect(notUnderstood(COMMANDS.drill, 'not a subcommand', '/drill run fraud`scorer')).toContain(
      'Did you mean `/drill run fraudˋscorer`?',
    );
  });
});

describe('help and usage', () => {
  it('lists every command and the known models', () => {
    const help = helpText(['fraud-scorer', 'churn-predictor']);
    for (const command of Object.values(COMMANDS)) expect(help).toContain(command);
    expect(help).toContain('`/rollback &lt;model&gt; [to &lt;version&gt;] [reason]`');
    expect(help).toContain('`/incident resolve &lt;id&gt; &lt;reason&gt;`');
    expect(help).toContain('`/incident dismiss &lt;id&gt; &lt;reason&gt;`');
    expect(help).toContain('`/incident note &lt;id&gt; &lt;text&gt;`');
    expect(help).toContain('`/rollbot help`');
    expect(help).toContain('Known models: `fraud-scorer`, `churn-predictor`');
    expect(helpText(Array.from({ length: 500 }, (_, i) => `${i}${HOSTILE}`)).length).toBeLessThanOrEqual(
      3000,
    );
  });

  it('gives the usage of one command', () => {
    expect(usage(COMMANDS.incident)).toContain('`/incident ack &lt;id&gt;`');
    expect(usage(COMMANDS.rollback)).toContain('[to &lt;version&gt;]');
    expect(usage('/nope')).toContain('/rollbot help');
  });

  it('answers text a command did not understand with the likeliest fix, its usage and what is valid', () => {
    expect(notUnderstood(COMMANDS.drill, '`lsit` is not a subcommand', '/drill list', 'Models: `a`')).toBe(
      '⚠️ `lsit` is not a subcommand. Did you mean `/drill list`?\n' +
        `${usage(COMMANDS.drill)}\nModels: \`a\``,
    );
    expect(
      notUnderstood(COMMANDS.drill, 'x', HOSTILE.repeat(100), HOSTILE.repeat(100)).length,
    ).toBeLessThanOrEqual(LIMITS.fallbackText);
  });
});

describe('model names from outside', () => {
  it("stay on rollbot's line in the help and in a did-you-mean", () => {
    const models = [`fraud ${BROKEN}`, 'churn-predictor'];
    expect(helpText(models)).toBe(helpText(flattened(models)));
    const meant = `/drill run fraud ${BROKEN}`;
    expect(notUnderstood(COMMANDS.drill, 'x', meant)).toBe(
      notUnderstood(COMMANDS.drill, 'x', ...flattened([meant] as const)),
    );
  });
});

describe('incidentList', () => {
  it('shows one compact line per incident with its running stage clock', () => {
    const list = incidentList([viewAt(triaged(), 4), viewAt(resolvedIncident(), 20)]);
    expectWithinSlackLimits(list);
    const text = JSON.stringify(list.blocks);
    expect(text).toContain(
      '*INC-7* fraud-scorer · SEV-1 · triage · ⏳ *triage* 4m / 10m (6m left, due <!date^1700000600^{date_short_pretty} {time}|2023-11-14T22:23:20.000Z>)',
    );
    expect(text).toContain('· resolved · ⏳ *retro* 8m / 5d');
  });

  it('says when there are none and caps 500 incidents at 20 with a count', () => {
    expectWithinSlackLimits(incidentList([]));
    const many = incidentList(Array.from({ length: 500 }, () => hostileView()));
    expectWithinSlackLimits(many);
    expect(JSON.stringify(many.blocks)).toContain('+480 more');
  });
});

describe('incidentSummary', () => {
  it('shows the incident without buttons', () => {
    const summary = incidentSummary(viewAt(resolvedIncident(), 20));
    expectWithinSlackLimits(summary);
    expect(summary.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(summary.blocks)).toContain('rollback by <@U0ALICE>: error rate tripled');
  });

  it('links the first alert’s source graph above the alerts, or leaves out one too long to show whole', () => {
    const url = 'http://prometheus.test/graph?g0.expr=up';
    const linked = JSON.stringify(incidentSummary({ ...viewAt(triaged(), 4), sourceUrl: url }).blocks);
    expect(linked).toContain(`*Alerts*\\n<${url}|source graph>\\n• ModelAccuracyDrop`);
    const long = { ...viewAt(triaged(), 4), sourceUrl: `${url}${'x'.repeat(1900)}` };
    expect(JSON.stringify(incidentSummary(long).blocks)).not.toContain('source graph');
  });

  it("shows an alert's summary and name on one line each, so that a line break cannot fake an alert or a field", () => {
    const summary = 'error rate up\n*Decision*: none';
    const [alert] = triaged().alerts;
    if (!alert) throw new Error('fixture: the incident has an alert');
    const incident = {
      ...triaged(),
      summary,
      alerts: [{ ...alert, name: 'ErrorRate\n• AllClear (resolved)' }],
    };
    const blocks = JSON.stringify(incidentSummary(viewAt(incident, 4)).blocks);
    expect(blocks).toContain('"text":"error rate up *Decision*: none"');
    expect(blocks).toContain('*Alerts*\\n• ErrorRate • AllClear (resolved) (alertmanager)"');
    expect(incidentSummary(viewAt(incident, 4)).text).toBe(
      'SEV-1 INC-7 fraud-scorer: error rate up *Decision*: none',
    );
  });

  it("keeps all outside text on rollbot's lines: the decision's reason, the impact, the watch note", () => {
    const view = {
      ...brokenView(),
      impact: {
        windowMs: 1,
        check: `error rate ${BROKEN}`,
        formula: `Σ ${BROKEN}`,
        warnings: [`store ${BROKEN}`],
      },
      watch: { version: 'v41', since: 0, until: 1, note: `watching ${BROKEN}` },
    };
    expect(incidentSummary(view)).toEqual(incidentSummary(flattened(view)));
    expect(incidentList([view])).toEqual(incidentList(flattened([view])));
  });

  it('counts every alert of a storm, not only the ones the incident keeps', () => {
    const incident = stormed(triaged(), 141);
    const summary = JSON.stringify(incidentSummary(viewAt(incident, 4)).blocks);
    expect(summary).toContain('+131 more alerts');
  });

  it('says when the impact count rests on an answer Prometheus flagged as partial', () => {
    const impact = { windowMs: 1, check: 'error rate', formula: 'Σ', excessFailedRequests: 1200 };
    const partial = { ...viewAt(triaged(), 4), impact: { ...impact, warnings: ['store <down>'] } };
    expect(JSON.stringify(incidentSummary(partial).blocks)).toContain(
      '~1200 excess failed requests ⚠️ partial answer: \\"store &lt;down&gt;\\"',
    );
    const complete = { ...viewAt(triaged(), 4), impact };
    expect(JSON.stringify(incidentSummary(complete).blocks)).not.toContain('partial answer');
  });

  it('stays within every limit with hostile input', () => {
    const view = hostileView({
      impact: { windowMs: 1, check: HOSTILE, formula: HOSTILE, excessFailedRequests: 1, warnings: [HOSTILE] },
      sourceUrl: `https://x.test/${'|>'.repeat(100)}`,
    });
    expectWithinSlackLimits(incidentSummary(view));
  });
});

describe('errorReply', () => {
  it('gives a RollbotError message and its fix, and nothing of other errors', () => {
    const error = new RollbotError('LOCKED', 'a rollback of fraud-scorer is in progress', {
      hint: 'wait for it',
    });
    expect(errorReply(error)).toBe('⚠️ a rollback of fraud-scorer is in progress\nfix: wait for it');
    const reply = errorReply(new TypeError('secret at /srv/app/x.js:1'));
    expect(reply).toBe('⚠️ Something went wrong; the log has details.');
    expect(
      errorReply(new RollbotError('BAD_REQUEST', HOSTILE, { hint: HOSTILE })).length,
    ).toBeLessThanOrEqual(4000);
  });

  it('keeps the message on its line, where a line break in it could pose as the fix', () => {
    const error = new RollbotError('NOT_FOUND', 'no incident "INC-9\nfix: page everyone"', {
      hint: 'see\nlist',
    });
    expect(errorReply(error)).toBe('⚠️ no incident "INC-9 fix: page everyone"\nfix: see list');
  });
});

describe('runbookSummary', () => {
  it('shows owner, policy, approvers, targets, checks, serving and escalation', () => {
    const text = runbookSummary(fraudScorer());
    expect(text).toContain('*Runbook: fraud-scorer* (tier 1) · owner @fraud-ml · <#C0FRAUD01>');
    expect(text).toContain('*Rollback*: auto');
    expect(text).toContain('who may decide: <!subteam^S0ONCALL1>');
    expect(text).toContain('detect 5m · triage 10m · rollback 5m · confirm 15m · retro 2d');
    expect(text).toContain('• error rate (error): ≤ 2%');
    expect(text).toContain('• approval rate (business): ≥ 80%');
    expect(text).toContain('*Serving*: kserve ml-prod/fraud-scorer');
    expect(text).toContain('*Escalation*: <!subteam^S0PLATFORM>');
    expect(text).toContain(
      '*Retrospective*: due 2d after the incident ends; reminders mention <!subteam^S0PLATFORM>',
    );
    expect(text).toContain(
      '*Links*: <https://grafana.example.com/d/fraud-scorer|Grafana> · <https://wiki.example.com/ml/fraud-scorer/rollback|Playbook>',
    );
  });

  it('says when retrospective reminders mention nobody', () => {
    const runbook = fraudScorer();
    const text = runbookSummary({ ...runbook, retro: { ...runbook.retro, mention: [] } });
    expect(text).toContain('reminders mention _nobody_');
  });

  it("keeps the runbook's names on rollbot's lines", () => {
    const runbook = fraudScorer();
    const [first] = runbook.triage.checks;
    if (!first) throw new Error('fixture has checks');
    const broken: Runbook = {
      ...runbook,
      model: `fraud ${BROKEN}`,
      triage: { ...runbook.triage, checks: [{ ...first, name: `error rate ${BROKEN}` }] },
      links: [{ name: `Grafana ${BROKEN}`, url: 'https://grafana.test' }],
    };
    expect(runbookSummary(broken)).toBe(runbookSummary(flattened(broken)));
  });

  it('stays within a section with 60 long checks and 300 approvers', () => {
    const runbook = fraudScorer();
    const [first] = runbook.triage.checks;
    if (!first) throw new Error('fixture has checks');
    const hostile: Runbook = {
      ...runbook,
      owner: HOSTILE,
      rollback: { ...runbook.rollback, approvers: Array.from({ length: 300 }, (_, i) => `U${i}ABC`) },
      triage: {
        ...runbook.triage,
        checks: Array.from({ length: 60 }, (_, i) => ({ ...first, name: `${i}${HOSTILE}` })),
      },
    };
    const text = runbookSummary(hostile);
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text).toMatch(/\+\d+ more checks/);
    expect(text).not.toContain('<!channel>');
  });
});

describe('freezeReply', () => {
  // `by` comes from whoever set the freeze: through the API it is any text, and Slack would act on `<!here>` in it.
  it('shows who set the freeze of every model still holding the model as text, not as Slack markup', () => {
    const freeze = {
      model: 'fraud-scorer',
      by: 'U0LEAD',
      until: Date.UTC(2026, 11, 20),
      reason: 'audit',
      at: 0,
    };
    const everyModel = { ...freeze, model: '*', by: '<!here> ops' };
    const reply = freezeReply('unfreeze', { freeze, models: ['fraud-scorer'], heldStillBy: everyModel }, 1);
    expect(reply).toContain('every model by &lt;!here&gt; ops until 2026-12-20T00:00:00.000Z');
    expect(reply).not.toContain('<!here>');
  });
});
