import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** CPU seconds so far, split by who spent them (Linux /proc), to say where a run's machine time went. */
export interface CpuSnapshot {
  machineBusy: number;
  machineTotal: number;
  self: number;
  selfSystem: number;
  processes: number[];
  processesSystem: number[];
  /** PostgreSQL's processes on this machine: CPU seconds and, for a backend, its database. */
  postgres: Map<number, { seconds: number; database: string | null }>;
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

/**
 * PostgreSQL's processes (Linux, a server on this machine): a backend's title reads
 * `postgres: [cluster: ]user database host(port) state`, a server process's `postgres: [cluster: ]walwriter`.
 */
function postgresProcesses(): Map<number, { seconds: number; database: string | null }> {
  const found = new Map<number, { seconds: number; database: string | null }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return found;
  }
  for (const name of pids) {
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue;
      const title = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const backend = /^postgres: (?:[^:]+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(title);
      const pid = Number(name);
      found.set(pid, { seconds: processSeconds(pid)[0], database: backend?.[1] ?? null });
    } catch {
      // gone meanwhile
    }
  }
  return found;
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
    postgres: postgresProcesses(),
  };
}

/**
 * PostgreSQL's CPU seconds between two snapshots: its backends on `database`, its server processes
 * (writers, checkpointer, autovacuum...), and backends on other databases (someone else's work).
 * A process that began in between counts whole; one that ended in between is missed.
 */
export function postgresSeconds(before: CpuSnapshot, after: CpuSnapshot, database: string): { backends: number; server: number; otherDatabases: number } {
  const spent = { backends: 0, server: 0, otherDatabases: 0 };
  for (const [pid, now] of after.postgres) {
    const seconds = now.seconds - (before.postgres.get(pid)?.seconds ?? 0);
    if (now.database === null) spent.server += seconds;
    else if (now.database === database) spent.backends += seconds;
    else spent.otherDatabases += seconds;
  }
  return spent;
}

/** Milliseconds of CPU per unit (paid order, request...) between two snapshots, by who spent them. */
export interface CpuPerUnit {
  processes: number;
  self: number;
  /** Null unless a database was named: then PostgreSQL's backends on it plus its server processes. */
  postgres: number | null;
  postgresBackends: number;
  postgresServer: number;
  otherDatabases: number;
  /** Everything else that kept the machine busy (PostgreSQL too when no database was named). */
  rest: number;
  busyPercent: number;
}

export function cpuPerUnit(before: CpuSnapshot, after: CpuSnapshot, units: number, database?: string): CpuPerUnit {
  const ms = (seconds: number) => (units > 0 ? (seconds / units) * 1000 : 0);
  const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
  const busy = after.machineBusy - before.machineBusy;
  const self = after.self - before.self;
  const processes = sum(after.processes) - sum(before.processes);
  const pg = database ? postgresSeconds(before, after, database) : { backends: 0, server: 0, otherDatabases: 0 };
  const postgres = pg.backends + pg.server;
  const total = after.machineTotal - before.machineTotal;
  return {
    processes: ms(processes),
    self: ms(self),
    postgres: database ? ms(postgres) : null,
    postgresBackends: ms(pg.backends),
    postgresServer: ms(pg.server),
    otherDatabases: ms(pg.otherDatabases),
    rest: ms(Math.max(0, busy - self - processes - postgres - pg.otherDatabases)),
    busyPercent: total > 0 ? (busy / total) * 100 : 0,
  };
}

/**
 * "service 2.1 ms, load generator 1.0 ms, PostgreSQL and the rest 2.4 ms per order; machine 97% busy";
 * with `labels.database` (the bench's database), PostgreSQL's part on its own.
 */
export function describeCpu(before: CpuSnapshot, after: CpuSnapshot, units: number, labels: { self: string; processes: string; database?: string }): string {
  if (after.machineTotal === 0 || units === 0) return '';
  const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
  const cpu = cpuPerUnit(before, after, units, labels.database);
  const self = after.self - before.self;
  const processes = sum(after.processes) - sum(before.processes);
  const processesSystem = sum(after.processesSystem) - sum(before.processesSystem);
  const share = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(0)}% in the kernel` : '');
  const parts = [`${labels.self} ${cpu.self.toFixed(2)} ms (${share(after.selfSystem - before.selfSystem, self)})`];
  if (before.processes.length > 0) parts.unshift(`${labels.processes} ${cpu.processes.toFixed(2)} ms (${share(processesSystem, processes)})`);
  if (cpu.postgres === null) parts.push(`PostgreSQL and the rest ${cpu.rest.toFixed(2)} ms`);
  else {
    parts.push(`PostgreSQL ${cpu.postgres.toFixed(2)} ms (backends ${cpu.postgresBackends.toFixed(2)}, server processes ${cpu.postgresServer.toFixed(2)})`);
    if (cpu.otherDatabases >= 0.005) parts.push(`PostgreSQL for other databases ${cpu.otherDatabases.toFixed(2)} ms`);
    parts.push(`the rest ${cpu.rest.toFixed(2)} ms`);
  }
  return `  CPU per paid order: ${parts.join(', ')}; machine ${cpu.busyPercent.toFixed(0)}% busy of ${os.cpus().length} cores`;
}
