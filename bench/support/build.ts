import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside node_modules so that the compiled bot resolves its dependencies, and so that lint never sees it. */
export const BUILD_DIR = `${ROOT}node_modules/.cache/rollbot-bench`;

/**
 * Compiles src/ and the benchmark's child programs with tsc into BUILD_DIR (incremental: a rerun with no change
 * takes seconds). The bot is benchmarked compiled, as production runs it (`node dist/main.js`): under tsx the
 * loader alone adds ~35 MB of RSS and would swamp the memory figure. Type errors in files being edited by
 * someone else do not stop the run (tsc still emits); they are printed.
 */
export async function buildForBench(log: (line: string) => void): Promise<string> {
  const started = Date.now();
  const tsc = `${ROOT}node_modules/typescript/bin/tsc`;
  const args = [
    tsc,
    '-p',
    `${ROOT}bench/tsconfig.bench.json`,
    '--outDir',
    BUILD_DIR,
    '--tsBuildInfoFile',
    `${BUILD_DIR}/.tsbuildinfo`,
  ];
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, text }));
  });
  if (!existsSync(`${BUILD_DIR}/src/main.js`)) {
    throw new Error(`tsc produced no ${BUILD_DIR}/src/main.js:\n${output.text}`);
  }
  if (output.code !== 0) {
    const errors = output.text.split('\n').filter((line) => line.includes('error TS'));
    log(`tsc reported ${errors.length} type error(s) (built anyway):\n  ${errors.slice(0, 5).join('\n  ')}`);
  }
  log(`compiled src/ and bench children with tsc in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return BUILD_DIR;
}
