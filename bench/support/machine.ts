import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  node: string;
  cpu: string;
  cores: number;
  ramGiB: number;
  /** 1-minute load average when the run started and ended: how busy the shared machine was. */
  load: { start: number; end?: number };
}

/** What the results table needs to say where it was measured. */
export function describeMachine(): Machine {
  const all = cpus();
  return {
    node: process.version,
    cpu: all[0]?.model.trim() ?? 'unknown CPU',
    cores: all.length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    load: { start: loadavg()[0] ?? 0 },
  };
}

export function formatMachine(machine: Machine): string {
  const end = machine.load.end === undefined ? '' : ` → ${machine.load.end.toFixed(2)}`;
  return (
    `node ${machine.node}, ${machine.cpu} × ${machine.cores} cores, ${machine.ramGiB} GiB RAM, ` +
    `load average (1 min) ${machine.load.start.toFixed(2)}${end}`
  );
}
