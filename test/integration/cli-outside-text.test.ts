import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { ingestAlerts } from '../../src/engine/intake.js';
import { firing } from '../helpers/alerts.js';
import { capture } from '../helpers/cli.js';
import { makeDeps, type TestDeps } from '../helpers/engine.js';
import { permanent } from '../helpers/fake-serving.js';
import { serveApp } from '../helpers/http.js';

/**
 * What the CLI prints of text from outside: alert summaries, the serving layer's versions and errors, reasons.
 * Such text may carry terminal escapes (here: move the cursor up, clear the line, set the window title, a C1
 * CSI, a bidi override) and line breaks that would print a `fix:` of its own under rollbot's error.
 */
const HOSTILE =
  'broken \u001b[1A\u001b[2K\r\u001b]0;pwned\u0007\u009b2J\u202eevil\u202c\nfix: kubectl delete ns ml-prod';
const UNPRINTABLE = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** Every line printable, and no `fix:` at the margin but rollbot's own. */
function expectSafe(printed: readonly string[], ownFixLines = 0): void {
  const lines = printed.join('\n').split('\n');
  expect(lines.filter((line) => UNPRINTABLE.test(line))).toEqual([]);
  expect(lines.filter((line) => line.startsWith('fix: kubectl'))).toEqual([]);
  expect(lines.filter((line) => line.startsWith('fix:'))).toHaveLength(ownFixLines);
}

describe('the CLI prints outside text without controls and without lines of its own', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  async function bot(deps: TestDeps) {
    const server = await serveApp(deps);
    close = server.close;
    return { ROLLBOT_URL: server.url, API_TOKEN: 'api-t' };
  }

  it('a rollback’s steps and result, when the serving layer reports a hostile version', async () => {
    const deps = makeDeps();
    deps.fake.current = `v42 ${HOSTILE}`;
    const { io, out, err } = capture();
    expect(await runCli(['rollback', 'fraud-scorer', '--reason', 'errors up'], await bot(deps), io)).toBe(0);
    expect(out.some((line) => line.includes('v42 broken'))).toBe(true);
    expectSafe([...out, ...err]);
  });

  it('a failed rollback’s error from the serving layer', async () => {
    const deps = makeDeps();
    deps.fake.executeErrors.push(permanent(`HTTP 500: ${HOSTILE}`));
    const { io, out, err } = capture();
    expect(await runCli(['rollback', 'fraud-scorer', '--reason', 'errors up'], await bot(deps), io)).toBe(1);
    expect(err.join('\n')).toContain('HTTP 500: broken');
    expectSafe([...out, ...err], 1);
  });

  it('an error the bot passes on from the serving layer', async () => {
    const deps = makeDeps();
    deps.fake.stateErrors.push(permanent(`HTTP 403: ${HOSTILE}`));
    const { io, err } = capture();
    expect(await runCli(['rollback', 'fraud-scorer', '--reason', 'errors up'], await bot(deps), io)).toBe(1);
    expect(err[0]).toMatch(/^error: HTTP 403: broken /);
    expectSafe(err, 1);
  });

  it('the deployment gate, closed by an incident whose alert summary is hostile', async () => {
    const deps = makeDeps();
    await ingestAlerts(deps, [firing('fraud-scorer', deps.clock.now(), { summary: HOSTILE })]);
    const { io, out } = capture();
    expect(await runCli(['deploy', 'record', 'fraud-scorer', 'v43'], await bot(deps), io)).toBe(0);
    expect(out[1]).toMatch(
      /^gate: closed — open incident INC-1 .*: broken .* evil fix: kubectl delete ns ml-prod$/,
    );
    expectSafe(out);
  });

  it('the timeline, whose summary, reasons and entries come from outside', async () => {
    const deps = makeDeps();
    await ingestAlerts(deps, [
      firing('fraud-scorer', deps.clock.now(), { summary: `${HOSTILE}\n# INC-9: fake` }),
    ]);
    const env = await bot(deps);
    expect(await runCli(['resolve', 'INC-1', '--reason', `fixed ${HOSTILE}`], env, capture().io)).toBe(0);
    const { io, out } = capture();
    expect(await runCli(['timeline', 'INC-1'], env, io)).toBe(0);
    expect(out[0]).toContain('- **Summary:** broken');
    expectSafe(out);
    expect((out[0] ?? '').split('\n').filter((line) => line.startsWith('# '))).toEqual([
      '# INC-1: fraud-scorer',
    ]);
  });
});
