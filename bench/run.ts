/**
 * `npm run bench [-- <name> …]`: starts Redis, the Slack stand-in and a compiled rollbot, runs the benchmarks
 * (all, or the named ones) and prints one table of figures, each against a bare baseline measured in the same
 * run. See bench/README.md for the method of each.
 */
import { loadavg } from 'node:os';
import { runAckLatency } from './ack-latency.js';
import { runFirstCall } from './first-call.js';
import { runIngest } from './ingest.js';
import { runMemory } from './memory.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { formatTable, type Figure } from './support/results.js';
import { startStack, type Stack } from './support/stack.js';
import { runStorm } from './storm.js';

const BENCHMARKS: Record<string, (stack: Stack) => Promise<Figure[]>> = {
  ingest: runIngest,
  'ack-latency': runAckLatency,
  'first-call': runFirstCall,
  storm: runStorm,
  memory: runMemory,
};

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`,
    );
    return 2;
  }
  const chosen = argv.length > 0 ? argv : Object.keys(BENCHMARKS);
  const machine = describeMachine();
  const started = Date.now();
  const log = (line: string) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  log(`rollbot bench on ${formatMachine(machine)}`);
  const stack = await startStack(log);
  const figures: Figure[] = [];
  let failed = false;
  try {
    for (const name of chosen) {
      log(`— ${name}`);
      try {
        figures.push(...(await BENCHMARKS[name]!(stack)));
      } catch (error) {
        failed = true;
        console.error(`benchmark ${name} failed:`, error);
      }
    }
  } finally {
    await stack.stop();
  }
  machine.load.end = loadavg()[0] ?? 0;
  console.log(
    `\n${new Date().toISOString().slice(0, 10)} · ${formatMachine(machine)} · ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  console.log(formatTable(figures));
  return failed ? 1 : 0;
}

// Stopped from outside: exit through process.exit so that the 'exit' hooks kill Redis and the bots.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
