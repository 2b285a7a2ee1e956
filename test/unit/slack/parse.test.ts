import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/slack/ids.js';
import {
  NotUnderstood,
  parseIncidentCommand,
  parseRollbackCommand,
  parseRollbotCommand,
} from '../../../src/slack/parse.js';

/** What `parse` throws for `text`: not understood, by `command` (whose reply adds its usage). */
function refusal(parse: (text: string) => unknown, text: string, command: string): NotUnderstood {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(NotUnderstood);
    expect((error as NotUnderstood).command).toBe(command);
    return error as NotUnderstood;
  }
  throw new Error(`${JSON.stringify(text)} was parsed`);
}

describe('/rollback text', () => {
  it.each([
    ['fraud-scorer', { model: 'fraud-scorer' }],
    ['fraud-scorer to v39', { model: 'fraud-scorer', to: 'v39' }],
    ['fraud-scorer p99 doubled after v42', { model: 'fraud-scorer', reason: 'p99 doubled after v42' }],
    ['  fraud-scorer   to v39   errors up ', { model: 'fraud-scorer', to: 'v39', reason: 'errors up' }],
    // Model names are lower case (runbooks/fields.ts), the keyword any case; a version is as written.
    ['Fraud-Scorer TO V39-RC1 Errors up', { model: 'fraud-scorer', to: 'V39-RC1', reason: 'Errors up' }],
  ])('%j', (text, expected) => {
    expect(parseRollbackCommand(text)).toEqual(expected);
  });

  it.each([
    ['', /^`\/rollback` needs a model$/],
    ['fraud-scorer to', /^"to" needs a version$/],
  ])('refuses %j, saying what is wrong', (text, message) => {
    expect(refusal(parseRollbackCommand, text, COMMANDS.rollback).message).toMatch(message);
  });
});

describe('/incident text', () => {
  it.each([
    ['', { verb: 'list' }],
    ['list', { verb: 'list' }],
    ['show inc-7', { verb: 'show', id: 'INC-7' }],
    ['ack INC-7', { verb: 'ack', id: 'INC-7' }],
    [
      'resolve INC-7 dashboards back to normal',
      { verb: 'resolve', id: 'INC-7', reason: 'dashboards back to normal' },
    ],
    ['dismiss inc-7 upstream outage', { verb: 'dismiss', id: 'INC-7', reason: 'upstream outage' }],
    [
      'note inc-7 feature store stale since 01:40',
      { verb: 'note', id: 'INC-7', text: 'feature store stale since 01:40' },
    ],
    // A note is kept as typed: its spacing and line breaks are the writer's.
    [
      ' note INC-7   p99:  310ms\n- backfill paused ',
      { verb: 'note', id: 'INC-7', text: 'p99:  310ms\n- backfill paused' },
    ],
    [
      'open fraud-scorer sev2 customers report wrong scores',
      { verb: 'open', model: 'fraud-scorer', severity: 2, summary: 'customers report wrong scores' },
    ],
    [
      'open fraud-scorer SEV-1 every score is 0',
      { verb: 'open', model: 'fraud-scorer', severity: 1, summary: 'every score is 0' },
    ],
    // A subcommand in any case (caps lock, a phone's capital first letter), as ids and severities are.
    ['LIST', { verb: 'list' }],
    ['Show inc-7', { verb: 'show', id: 'INC-7' }],
    ['ACK INC-7', { verb: 'ack', id: 'INC-7' }],
    ['Resolve INC-7 Back to normal', { verb: 'resolve', id: 'INC-7', reason: 'Back to normal' }],
    ['DISMISS INC-7 Upstream', { verb: 'dismiss', id: 'INC-7', reason: 'Upstream' }],
    ['Note INC-7 Feature store Stale', { verb: 'note', id: 'INC-7', text: 'Feature store Stale' }],
    [
      'OPEN Fraud-Scorer SEV2 Wrong scores',
      { verb: 'open', model: 'fraud-scorer', severity: 2, summary: 'Wrong scores' },
    ],
  ])('%j', (text, expected) => {
    expect(parseIncidentCommand(text)).toEqual(expected);
  });

  it.each([
    ['show', /^show needs an incident id/],
    ['resolve INC-7', /^resolve needs an incident id and a reason/],
    ['dismiss INC-7', /^dismiss needs an incident id and a reason/],
    ['note INC-7', /^note needs an incident id and the note's text$/],
    ['note', /^note needs an incident id and the note's text/],
    ['close INC-7', /^unknown subcommand `close`$/],
    ['open', /^open needs a model, a severity \(sev1 to sev4\) and what is wrong/],
    ['open fraud-scorer customers report wrong scores', /^open needs a model, a severity \(sev1 to sev4\)/],
    ['open fraud-scorer sev5 bad', /^open needs a model, a severity \(sev1 to sev4\)/],
    ['open fraud-scorer sev2', /^open needs a model, a severity \(sev1 to sev4\) and what is wrong/],
  ])('refuses %j, saying what is wrong', (text, message) => {
    expect(refusal(parseIncidentCommand, text, COMMANDS.incident).message).toMatch(message);
  });
});

describe('/rollbot text', () => {
  it.each([
    ['', { verb: 'help' }],
    ['help', { verb: 'help' }],
    [
      'freeze fraud-scorer until 2026-12-27T09:00:00Z year-end freeze',
      { verb: 'freeze', target: 'fraud-scorer', until: '2026-12-27T09:00:00Z', reason: 'year-end freeze' },
    ],
    [
      '  freeze --all   until 2026-12-27T10:00+01:00 holidays ',
      { verb: 'freeze', target: '*', until: '2026-12-27T10:00+01:00', reason: 'holidays' },
    ],
    ['unfreeze fraud-scorer', { verb: 'unfreeze', target: 'fraud-scorer' }],
    ['unfreeze --all fix shipped early', { verb: 'unfreeze', target: '*', reason: 'fix shipped early' }],
    [
      'FREEZE Fraud-Scorer UNTIL 2026-12-27T09:00:00Z Year-end',
      { verb: 'freeze', target: 'fraud-scorer', until: '2026-12-27T09:00:00Z', reason: 'Year-end' },
    ],
    ['Unfreeze --ALL', { verb: 'unfreeze', target: '*' }],
    ['HELP', { verb: 'help' }],
  ])('%j', (text, expected) => {
    expect(parseRollbotCommand(text)).toEqual(expected);
  });

  it.each([
    // Each names the part that is missing, then shows a whole one.
    ['freeze', /^freeze needs a model \(or --all\), "until", the time it ends and a reason, e\.g\. `/],
    [
      'freeze fraud-scorer 2026-12-27T09:00:00Z holidays',
      /^freeze needs "until" after the model, then the time it ends and a reason, e\.g\. `/,
    ],
    [
      'freeze until 2026-12-27T09:00:00Z holidays',
      /^freeze needs a model \(or --all\) before "until", e\.g\. `/,
    ],
    ['freeze fraud-scorer until', /^freeze needs the time it ends after "until", then a reason, e\.g\. `/],
    [
      'freeze fraud-scorer until 2026-12-27T09:00:00Z',
      /^freeze needs a reason after the time it ends, e\.g\. `/,
    ],
    ['unfreeze', /^unfreeze needs a model \(or --all\)$/],
    // Not a model (no model name starts with a dash): a typo of --all, or Slack's smart punctuation (— for --).
    ['unfreeze --al', /^`--al` is neither a model nor `--all`$/],
    ['unfreeze —all shipped', /^`—all` is neither a model nor `--all`$/],
    [`freeze -all until 2026-12-27T09:00:00Z holidays`, /^`-all` is neither a model nor `--all`$/],
    ['thaw fraud-scorer', /^unknown subcommand `thaw`$/],
  ])('refuses %j, saying what is wrong', (text, message) => {
    expect(refusal(parseRollbotCommand, text, COMMANDS.rollbot).message).toMatch(message);
  });
});
