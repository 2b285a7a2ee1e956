/**
 * Loaded into every benchmarked child (`node --expose-gc --import …/gc-preload.js`): on SIGUSR2, run a full
 * GC and print the process's memory usage on stderr behind GC_MARK. It lets the memory benchmark measure RSS
 * after a GC in rollbot without touching src/; the baselines load it too, so both carry the same few bytes.
 */
import { GC_MARK } from './gc-mark.js';

process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Twice: the first pass can leave objects whose finalizers free more on the second.
  gc?.();
  gc?.();
  process.stderr.write(`${GC_MARK}${JSON.stringify(process.memoryUsage())}\n`);
});
