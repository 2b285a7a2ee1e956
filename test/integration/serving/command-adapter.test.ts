/**
 * The command adapter against real processes: node scripts (`process.execPath -e`) and /bin/sh stand in for
 * helm or kubectl, so that spawning, timeouts, kills, environments and argument passing are the real thing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServingError } from '../../../src/core/errors.js';
import type { ExecuteContext, RollbackPlan } from '../../../src/engine/serving-port.js';
import { createCommandAdapter } from '../../../src/serving/command/adapter.js';
import { commandConfig } from '../../../src/serving/command/config.js';
import { runCommand } from '../../../src/serving/command/run.js';
import { eventually } from '../../helpers/bot-process.js';

const NODE = process.execPath;
const run: ExecuteContext = {
  idempotencyKey: 'INC-9:rollback:1',
  fence: 2,
  incidentId: 'INC-9',
  model: 'fraud-scorer',
  reason: 'approval rate dropped',
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rollbot-command-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function adapter(block: Record<string, unknown>, env: Record<string, string | undefined> = {}) {
  const config = commandConfig.parse({ adapter: 'command', ...block });
  return createCommandAdapter(config, { model: 'fraud-scorer', env: { PATH: process.env.PATH, ...env } });
}

function plan(to: string, from?: string): RollbackPlan {
  return { to, ...(from === undefined ? {} : { from }), regime: 'redeploy', etaMs: 1, actions: [], data: {} };
}

async function failure(promise: Promise<unknown>): Promise<ServingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ServingError)) throw new Error(`expected a ServingError, got ${String(error)}`);
  return error;
}

/** Gone, or a zombie waiting for a parent that is not us (a reparented grandchild in a container). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

const ARGV_TO_FILE = `require('fs').writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))`;

describe('command adapter', () => {
  it('runs the command with filled arguments and captures its output', async () => {
    const script = `console.log('rolled back to ' + process.argv[1] + ' for ' + process.argv[2]); console.error('a warning')`;
    const cmd = adapter({ argv: [NODE, '-e', script, '--', '{{to}}', '{{incident}}'] });
    expect(cmd.kind).toBe('command');
    const result = await cmd.execute(plan('v2', 'v3'), run);
    expect(result.mutated).toBe(true);
    expect(result.output).toContain('rolled back to v2 for INC-9');
    expect(result.output).toContain('[stderr]\na warning');
    expect(result.output).toContain('no status command: trusting exit code 0');
    expect(await cmd.onTarget(plan('v2'))).toBe(true);
    expect(await cmd.onTarget(plan('v1'))).toBe(false);
  });

  it('reports a non-zero exit with the last lines of stderr, transient only when listed in retryOnExit', async () => {
    const script = `console.error('helm: connecting'); console.error('Error: release: not found'); process.exit(3)`;
    const error = await failure(adapter({ argv: [NODE, '-e', script] }).execute(plan('v2'), run));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('exited with code 3');
    expect(error.message).toContain('Error: release: not found');
    expect(error.hint).toContain('retryOnExit');

    const retried = await failure(
      adapter({ argv: [NODE, '-e', script], retryOnExit: [3] }).execute(plan('v2'), run),
    );
    expect(retried.transient).toBe(true);
    expect(await failure(adapter({ argv: ['false'] }).execute(plan('v2'), run))).toMatchObject({
      transient: false,
    });
  });

  it('kills the command and what it started on timeout; without statusArgv, not to be run again', async () => {
    const pids = join(dir, 'pids');
    // sh starts a grandchild (sleep) and waits: only a process-group kill reaches both. The sleep outlasts the
    // test's own timeout, so an adapter that waited for it (or for the pipe it holds) fails the test by hanging.
    const script = `sleep 600 & echo "$$ $!" > "$1"; wait`;
    const cmd = adapter({ argv: ['/bin/sh', '-c', script, 'sh', pids], timeout: '500ms' });
    const error = await failure(cmd.execute(plan('v2'), run));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('timed out after 500ms and was killed; its effect is unknown');
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    expect(isGone(shell ?? 0)).toBe(true);
    // The group's SIGTERM reaches the grandchild with the shell, but the adapter answers when the shell has
    // exited: on a loaded machine `sleep` may still be on its way out. It must be gone soon after.
    await eventually(async () => (isGone(sleeper ?? 0) ? true : undefined), 3_000, 'sleep to be killed');
    expect(isGone(sleeper ?? 0)).toBe(true);
  });

  it('with statusArgv, retries a timeout only after re-reading the layer, and skips a run that landed', async () => {
    const state = join(dir, 'current');
    const runs = join(dir, 'runs');
    writeFileSync(state, 'v3');
    // Makes the change, then hangs past the timeout.
    const script = 'printf "%s" "$2" > "$1"; echo ran >> "$3"; exec sleep 30';
    const cmd = adapter({
      argv: ['/bin/sh', '-c', script, 'sh', state, '{{to}}', runs],
      statusArgv: ['cat', state],
      timeout: '500ms',
    });
    const error = await failure(cmd.execute(plan('v2', 'v3'), run));
    expect(error.transient).toBe(true);
    expect(error.message).toContain('timed out after 500ms');
    // The engine's retry: the status command shows the change landed, so nothing runs again.
    expect(await cmd.execute(plan('v2', 'v3'), run)).toMatchObject({ mutated: false });
    expect(readFileSync(runs, 'utf8')).toBe('ran\n');
  });

  it('sends SIGKILL when the command ignores SIGTERM', async () => {
    const pidFile = join(dir, 'pid');
    const script = `process.on('SIGTERM', () => {}); require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)`;
    const result = await runCommand([NODE, '-e', script, '--', pidFile], {
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 500,
      killGraceMs: 300,
    });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL' });
    expect(isGone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  // Each payload would create the marker file if it ever reached a shell; none is destructive, on purpose.
  it.each([
    '; touch /tmp/PWNED #',
    `$(touch /tmp/PWNED)`,
    '`touch /tmp/PWNED`',
    'v2 && touch /tmp/PWNED',
    '\'"; touch /tmp/PWNED; echo "',
    'v2\ntouch /tmp/PWNED',
  ])('passes the hostile value %j as one literal argument', async (template) => {
    const pwned = join(tmpdir(), `rollbot-${process.pid}-${Date.now()}-pwned`);
    const hostile = template.replaceAll('/tmp/PWNED', pwned);
    const viaNode = join(dir, 'node-argv');
    const viaShell = join(dir, 'sh-argv');
    const context = { ...run, reason: hostile };

    await adapter({ argv: [NODE, '-e', ARGV_TO_FILE, '--', viaNode, '{{to}}', '{{reason}}'] }).execute(
      plan(hostile),
      context,
    );
    // A shell as the tool under test: its script is fixed, the value arrives as "$1" and is never parsed.
    await adapter({
      argv: ['/bin/sh', '-c', 'printf "%s" "$1" > "$2"', 'sh', '{{reason}}', viaShell],
    }).execute(plan('v2'), context);

    expect(JSON.parse(readFileSync(viaNode, 'utf8'))).toEqual([hostile, hostile]);
    expect(readFileSync(viaShell, 'utf8')).toBe(hostile);
    expect(existsSync(pwned)).toBe(false);
  });

  it('refuses a value that would be read as an option', async () => {
    const marker = join(dir, 'ran');
    const cmd = adapter({ argv: [NODE, '-e', ARGV_TO_FILE, '--', marker, '{{to}}'] });
    const error = await failure(
      cmd.plan({
        to: '--force',
        state: { traffic: [], rolloutInProgress: false, settled: true, summary: '' },
      }),
    );
    expect(error.message).toContain('would start with "-"');
    await failure(cmd.execute(plan('--force'), run));
    expect(existsSync(marker)).toBe(false);
  });

  it('masks environment values in the argument it refuses for starting with "-"', async () => {
    const marker = join(dir, 'ran');
    const cmd = adapter(
      { argv: [NODE, '-e', ARGV_TO_FILE, '--', marker, '{{to}}@{{env.HELM_TOKEN}}'], env: ['HELM_TOKEN'] },
      { HELM_TOKEN: 'helm-secret-value' },
    );
    const error = await failure(cmd.execute(plan('--force'), run));
    expect(error.message).toBe('argument 5 would start with "-" and be read as an option: --force@***');
    expect(existsSync(marker)).toBe(false);
  });

  it('gives the command PATH and the allow-listed variables only', async () => {
    const cmd = adapter(
      { argv: [NODE, '-e', 'console.log(JSON.stringify(process.env))'], env: ['HELM_TOKEN', 'UNSET_ONE'] },
      { HELM_TOKEN: 'helm-secret-value', AWS_SECRET_ACCESS_KEY: 'not-for-you', HOME: '/root' },
    );
    const result = await cmd.execute(plan('v2'), run);
    const json = (result.output ?? '').split('\n').find((line) => line.startsWith('{')) ?? '{}';
    const seen = JSON.parse(json) as Record<string, string>;
    expect(Object.keys(seen).sort()).toEqual(['HELM_TOKEN', 'PATH']);
    // The value reached the child, and is masked on its way to the timeline.
    expect(seen.HELM_TOKEN).toBe('***');
    expect(result.output).not.toContain('not-for-you');
  });

  it('leaves out an allow-listed variable set to blanks, as {{env.NAME}} takes it as unset', async () => {
    const cmd = adapter(
      { argv: [NODE, '-e', 'console.log(JSON.stringify(Object.keys(process.env)))'], env: ['HELM_TOKEN'] },
      { HELM_TOKEN: '  ' },
    );
    const result = await cmd.execute(plan('v2'), run);
    const json = (result.output ?? '').split('\n').find((line) => line.startsWith('[')) ?? '[]';
    expect((JSON.parse(json) as string[]).sort()).toEqual(['PATH']);
  });

  it('fills {{env.NAME}} arguments, masked in plans', async () => {
    const out = join(dir, 'argv');
    const cmd = adapter(
      { argv: [NODE, '-e', ARGV_TO_FILE, '--', out, '--token={{env.HELM_TOKEN}}'], env: ['HELM_TOKEN'] },
      { HELM_TOKEN: 'helm-secret-value' },
    );
    const planned = await cmd.plan({
      to: 'v2',
      state: { traffic: [], rolloutInProgress: false, settled: true, summary: '' },
    });
    expect(planned.actions.join('\n')).toContain('--token=***');
    await cmd.execute(planned, run);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(['--token=helm-secret-value']);
  });

  it('reports a program that does not exist as not transient, with what to do', async () => {
    const error = await failure(
      adapter({ argv: ['rollbot-no-such-tool', 'rollback'] }).execute(plan('v2'), run),
    );
    expect(error.transient).toBe(false);
    expect(error.hint).toContain('install rollbot-no-such-tool or fix argv[0]');
  });

  describe('PATH, read by the one rule of src/env.ts', () => {
    /** A program named `mytool` in `dir`, the command's working directory, that says it ran. */
    function toolInWorkingDirectory(): void {
      writeFileSync(join(dir, 'mytool'), '#!/bin/sh\necho ran-from-the-working-directory\n', { mode: 0o755 });
    }

    it.each([['/nonexistent:'], [':/nonexistent'], ['/nonexistent::/also-not']])(
      'does not run a program from the working directory because PATH=%j has a blank entry',
      async (path) => {
        toolInWorkingDirectory();
        const cmd = adapter({ argv: ['mytool', '{{to}}'], cwd: dir }, { PATH: path });
        const error = await failure(cmd.execute(plan('v2'), run));
        expect(error.hint).toMatch(
          /^install mytool or fix argv\[0\] \(looked in PATH=\/nonexistent(:\/also-not)?\)$/,
        );
      },
    );

    it.each([[''], ['  ']])(
      'takes PATH=%j as unset: the default PATH, not the working directory',
      async (path) => {
        toolInWorkingDirectory();
        const cmd = adapter({ argv: ['sh', '-c', 'echo "PATH=$PATH"'], cwd: dir }, { PATH: path });
        const result = await cmd.execute(plan('v2'), run);
        expect(result.output).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
        const error = await failure(
          adapter({ argv: ['mytool'], cwd: dir }, { PATH: path }).execute(plan('v2'), run),
        );
        expect(error.hint).toContain('install mytool or fix argv[0] (looked in PATH=/usr/local/sbin:');
      },
    );
  });

  it('names the field of a program that does not exist: statusArgv[0] for the status command', async () => {
    const cmd = adapter({ argv: [NODE, '-e', '0'], statusArgv: ['rollbot-no-such-status'] });
    const error = await failure(cmd.state());
    expect(error.hint).toMatch(/^install rollbot-no-such-status or fix statusArgv\[0\] \(looked in PATH=/);
  });

  it('does not claim a PATH search for a program named by its path', async () => {
    const missing = join(dir, 'rollback.sh');
    const error = await failure(adapter({ argv: [missing, '{{to}}'] }).execute(plan('v2'), run));
    expect(error.hint).toBe(`install ${missing} or fix argv[0] (a name with a / is not looked up in PATH)`);
  });

  it('uses statusArgv for state, idempotency and onTarget', async () => {
    const state = join(dir, 'current');
    writeFileSync(state, 'v3\n');
    const cmd = adapter({
      argv: [
        NODE,
        '-e',
        `require('fs').writeFileSync(process.argv[1], process.argv[2])`,
        '--',
        state,
        '{{to}}',
      ],
      statusArgv: ['cat', state],
    });
    expect(cmd.readsState).toBe(true);
    expect(adapter({ argv: ['helm', 'rollback', '{{model}}'] }).readsState).toBe(false);
    expect(await cmd.state()).toMatchObject({ current: 'v3', traffic: [{ version: 'v3', percent: 100 }] });
    const planned = await cmd.plan({ to: 'v2', state: await cmd.state() });
    expect(planned).toMatchObject({ from: 'v3', to: 'v2', regime: 'redeploy', etaMs: 600_000 });
    expect(await cmd.onTarget(planned)).toBe(false);

    expect((await cmd.execute(planned, run)).mutated).toBe(true);
    expect(await cmd.onTarget(planned)).toBe(true);

    // Already on v2: the rollback command is not run again (it would overwrite the marker).
    writeFileSync(state, 'v2');
    const again = await cmd.execute(planned, run);
    expect(again).toMatchObject({ mutated: false });
    expect(readFileSync(state, 'utf8')).toBe('v2');
  });

  it('caps captured output', async () => {
    const cmd = adapter({ argv: [NODE, '-e', `process.stdout.write('x'.repeat(300 * 1024) + 'END')`] });
    const result = await cmd.execute(plan('v2'), run);
    expect(result.output?.length).toBeLessThan(70 * 1024);
    expect(result.output).toContain('[earlier output dropped]');
    expect(result.output).toContain('END');
  });
});

describe('command runbook block', () => {
  const problems = (block: Record<string, unknown>) =>
    commandConfig
      .safeParse({ adapter: 'command', ...block })
      .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

  it('refuses placeholders inside a shell script or in the program', () => {
    expect(problems({ argv: ['sh', '-c', 'helm rollback x {{to}}'] })).toEqual([
      `argv.2: {{to}} would become part of a shell command or script: pass it as an argument of its own (sh -c 'helm rollback x "$1"' sh '{{to}}')`,
    ]);
    expect(problems({ argv: ['/usr/bin/bash', '-ec', 'echo {{reason}}'] })).toHaveLength(1);
    expect(problems({ argv: ['{{env.TOOL}}', 'x'], env: ['TOOL'] })).toEqual([
      'argv.0: the program is fixed in the runbook: no placeholders in argv[0]',
    ]);
    expect(problems({ argv: ['sh', '-c', 'helm rollback x "$1"', 'sh', '{{to}}'] })).toBeUndefined();
  });

  it('refuses placeholders in a shell script behind a wrapper: env, sudo, kubectl exec, su', () => {
    const script = 'helm rollback x {{to}}';
    for (const argv of [
      ['env', 'sh', '-c', script],
      ['/usr/bin/env', 'FOO=1', 'bash', '-c', script],
      ['sudo', '-u', 'deploy', 'sh', '-c', script],
      ['kubectl', 'exec', 'deploy/router', '--', 'sh', '-c', script],
      ['su', 'deploy', '-c', script],
    ]) {
      expect(problems({ argv }), argv.join(' ')).toEqual([
        `argv.${argv.length - 1}: {{to}} would become part of a shell command or script: pass it as an argument of its own (sh -c 'helm rollback x "$1"' sh '{{to}}')`,
      ]);
    }
    expect(problems({ argv: ['env', 'sh', '-c', 'helm rollback x "$1"', 'sh', '{{to}}'] })).toBeUndefined();
  });

  it('refuses placeholders in the command ssh sends: the remote shell parses its arguments again', () => {
    expect(problems({ argv: ['ssh', 'deploy-host', 'helm', 'rollback', 'x', '{{to}}'] })).toEqual([
      "argv.5: {{to}} would become part of the command line ssh hands to the remote shell, which parses it again: run the tool from rollbot's host, or a remote script that takes no values from rollbot",
    ]);
    expect(
      problems({ argv: ['ssh', '-i', '{{env.KEY}}', 'deploy-host', 'helm', 'rollback', 'x'], env: ['KEY'] }),
    ).toBeUndefined();
  });

  it('refuses {{from}} without statusArgv and anything but {{model}} and env in statusArgv', () => {
    expect(problems({ argv: ['helm', '{{from}}'], statusArgv: ['helm', '{{to}}'] })).toEqual([
      'statusArgv.1: {{to}} has no value here: use only {{model}}, {{env.NAME}} (NAME listed in env)',
    ]);
    expect(problems({ argv: ['helm', '{{from}}'] })?.[0]).toContain('argv.1: {{from}} has no value here');
  });
});
