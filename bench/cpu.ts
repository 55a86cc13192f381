import { readFileSync } from 'node:fs';
import os from 'node:os';

/** CPU seconds so far, split by who spent them (Linux /proc), to say where a run's machine time went. */
export interface CpuSnapshot {
  machineBusy: number;
  machineTotal: number;
  self: number;
  selfSystem: number;
  processes: number[];
  processesSystem: number[];
}

const TICK = 100; // USER_HZ: /proc reports clock ticks of 1/100 s on Linux

/** [user + system, system] CPU seconds of a process. */
function processSeconds(pid: number): [number, number] {
  try {
    // Fields after the parenthesised command name: utime and stime are the 14th and 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [(Number(fields[11]) + Number(fields[12])) / TICK, Number(fields[12]) / TICK];
  } catch {
    return [0, 0];
  }
}

export function cpuSnapshot(pids: number[]): CpuSnapshot {
  let busy = 0;
  let total = 0;
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    const ticks = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
    total = ticks.reduce((a, b) => a + b, 0) / TICK;
    busy = total - ((ticks[3] ?? 0) + (ticks[4] ?? 0)) / TICK; // idle and iowait
  } catch {
    // not Linux: the breakdown is left out
  }
  const usage = process.cpuUsage();
  const processes = pids.map(processSeconds);
  return {
    machineBusy: busy,
    machineTotal: total,
    self: (usage.user + usage.system) / 1e6,
    selfSystem: usage.system / 1e6,
    processes: processes.map(([all]) => all),
    processesSystem: processes.map(([, system]) => system),
  };
}

/** "service 2.1 ms, load generator 1.0 ms, PostgreSQL and the rest 2.4 ms per order; machine 97% busy". */
export function describeCpu(before: CpuSnapshot, after: CpuSnapshot, units: number, labels: { self: string; processes: string }): string {
  if (after.machineTotal === 0 || units === 0) return '';
  const ms = (seconds: number) => ((seconds / units) * 1000).toFixed(2);
  const busy = after.machineBusy - before.machineBusy;
  const self = after.self - before.self;
  const processes = after.processes.reduce((a, b) => a + b, 0) - before.processes.reduce((a, b) => a + b, 0);
  const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
  const processesSystem = sum(after.processesSystem) - sum(before.processesSystem);
  const share = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(0)}% in the kernel` : '');
  const percent = (busy / (after.machineTotal - before.machineTotal)) * 100;
  const parts = [`${labels.self} ${ms(self)} ms (${share(after.selfSystem - before.selfSystem, self)})`];
  if (before.processes.length > 0) parts.unshift(`${labels.processes} ${ms(processes)} ms (${share(processesSystem, processes)})`);
  parts.push(`PostgreSQL and the rest ${ms(Math.max(0, busy - self - processes))} ms`);
  return `  CPU per paid order: ${parts.join(', ')}; machine ${percent.toFixed(0)}% busy of ${os.cpus().length} cores`;
}
