/**
 * A JSON body template that is not JSON once filled (a placeholder outside quotes: `{"version": {{to}}}`) is
 * refused when the runbook loads, not by the rollback that fills it: a version like v42 would make it invalid
 * JSON at 2am. `{{fence}}` is a number and may stand bare, as may an operator's `{{env.NAME}}`.
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/runbooks/parse.js';
import { formatProblem } from '../../../src/runbooks/problems.js';

const runbook = (serving: string) =>
  `model: m\nowner: "@ml"\nchannel: C0TEST0001\ntier: 3\nserving: ${serving}\n`;

function problemsOf(serving: string): string[] {
  const result = parseRunbook(runbook(serving), 'm.yml');
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe('an http JSON body template', () => {
  it('is refused when a placeholder stands outside a JSON string', () => {
    expect(
      problemsOf(`{ adapter: http, rollback: { url: 'https://r.internal/x', body: '{"version": {{to}}}' } }`),
    ).toEqual([
      'm.yml:5: serving.rollback.body: is not valid JSON once filled (with v42 for each value, it reads {"version": v42}): put placeholders inside JSON strings ("version": "{{to}}"), or write the body as YAML',
    ]);
  });

  it('is refused when the Content-Type says JSON and the text is not', () => {
    expect(
      problemsOf(
        `{ adapter: http, rollback: { url: 'https://r.internal/x', headers: { Content-Type: application/json }, body: 'version={{to}}' } }`,
      ),
    ).toHaveLength(1);
  });

  it('takes {{fence}} and {{env.NAME}} bare, placeholders in strings, and non-JSON bodies as text', () => {
    expect(
      problemsOf(
        `{ adapter: http, env: [REPLICAS], rollback: { url: 'https://r.internal/x', body: '{"v": "{{to}}", "why": "{{reason}}", "fence": {{fence}}, "n": {{env.REPLICAS}}}' } }`,
      ),
    ).toEqual([]);
    expect(
      problemsOf(
        `{ adapter: http, rollback: { url: 'https://r.internal/x', headers: { Content-Type: application/x-www-form-urlencoded }, body: 'version={{to}}' } }`,
      ),
    ).toEqual([]);
  });
});
