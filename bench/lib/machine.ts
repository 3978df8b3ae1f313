/** Facts about the machine and PostgreSQL for a report, and the CPU use of processes measured through Linux's /proc. */
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { required } from './required.js';

export interface MachineInfo {
  cores: number;
  memoryGiB: number;
  cpu: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    kernel: os.release(),
  };
}

export async function postgresInfo(client: pg.Client): Promise<{ version: string; settings: Record<string, string> }> {
  const { rows } = await client.query<{ version: string }>('SELECT version()');
  const names = ['shared_buffers', 'work_mem', 'effective_cache_size', 'max_connections', 'fsync', 'synchronous_commit', 'jit'];
  const { rows: settings } = await client.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name`,
    [names],
  );
  return {
    version: required(rows[0], 'row of SELECT version()').version.replace(/ on .*/, ''),
    settings: Object.fromEntries(settings.map((row) => [row.name, row.setting])),
  };
}

/** Linux's USER_HZ: the unit of the times in /proc/stat and /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

interface ProcessTimes {
  ppid: number;
  /** user + system of the process itself, seconds. */
  own: number;
  /** user + system of its children that it waited for (exited ones), seconds. */
  children: number;
}

/** Times of a process from /proc/<pid>/stat (fields 4, 14–17); undefined once it is gone. */
async function processTimes(pid: number): Promise<ProcessTimes | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // Fields after the command name (which may hold spaces) start with the state, field 3.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const field = (number: number): number => required(fields[number - 3], `field ${number} of /proc/${pid}/stat`);
  return {
    ppid: field(4),
    own: (field(14) + field(15)) / CLOCK_TICKS_PER_SECOND,
    children: (field(16) + field(17)) / CLOCK_TICKS_PER_SECOND,
  };
}

/**
 * CPU time of a process tree's root and direct children (PostgreSQL's postmaster and its backends),
 * children that exited in between included (they move into the root's `children` time).
 */
async function treeCpuSeconds(root: number): Promise<number> {
  const rootTimes = await processTimes(root);
  if (!rootTimes) return 0;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const children = await Promise.all(
    pids.map(async (pid) => {
      const times = await processTimes(pid);
      return times?.ppid === root ? times.own : 0;
    }),
  );
  return rootTimes.own + rootTimes.children + children.reduce((sum, value) => sum + value, 0);
}

/** CPU time a process has used (user + system), seconds; 0 once it is gone. */
async function processCpuSeconds(pid: number): Promise<number> {
  return (await processTimes(pid))?.own ?? 0;
}

/**
 * The postmaster of the PostgreSQL `client` is connected to (the parent of its backend), when that
 * server runs on this machine and /proc shows it; undefined otherwise.
 */
export async function postmasterPid(client: pg.Client): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = await processTimes(required(rows[0], 'row of SELECT pg_backend_pid()').pid);
  if (!backend) return undefined;
  const comm = await readFile(`/proc/${backend.ppid}/comm`, 'utf8').catch(() => '');
  return comm.trim() === 'postgres' ? backend.ppid : undefined;
}

/** Busy CPU time of the whole machine, all cores (/proc/stat: everything but idle and iowait), seconds. */
async function machineBusySeconds(): Promise<number> {
  // The first line: `cpu user nice system idle iowait irq softirq steal …`, in ticks.
  const [cpuLine = ''] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const ticks = cpuLine.trim().split(/\s+/).slice(1).map(Number);
  const busy = { user: 0, nice: 1, system: 2, irq: 5, softirq: 6, steal: 7 };
  const total = Object.entries(busy).reduce((sum, [name, index]) => sum + required(ticks[index], `${name} in /proc/stat`), 0);
  return total / CLOCK_TICKS_PER_SECOND;
}

/** Cores kept busy over a stretch of time: by each watched process, and by the whole machine (anything else included). */
export interface CpuFigures {
  processes: Record<string, number>;
  machine: number;
}

/**
 * Measures the CPU use of some processes, of process trees (PostgreSQL: postmaster and backends) and
 * of the whole machine between `start()` and `stop()` (Linux /proc).
 */
export class CpuMeter {
  private started?: { wall: number; machine: number; processes: Record<string, number> };
  private readonly names: string[];

  constructor(
    private readonly pids: Record<string, number>,
    private readonly trees: Record<string, number> = {},
  ) {
    this.names = [...Object.keys(pids), ...Object.keys(trees)];
  }

  private async read(): Promise<{ wall: number; machine: number; processes: Record<string, number> }> {
    const entries = await Promise.all([
      ...Object.entries(this.pids).map(async ([name, pid]) => [name, await processCpuSeconds(pid)] as const),
      ...Object.entries(this.trees).map(async ([name, root]) => [name, await treeCpuSeconds(root)] as const),
    ]);
    return { wall: performance.now() / 1000, machine: await machineBusySeconds(), processes: Object.fromEntries(entries) };
  }

  async start(): Promise<void> {
    this.started = await this.read();
  }

  async stop(): Promise<CpuFigures> {
    const started = this.started;
    if (!started) throw new Error('CpuMeter.stop() before start()');
    const now = await this.read();
    const seconds = Math.max(0.001, now.wall - started.wall);
    return {
      processes: Object.fromEntries(
        this.names.map((name) => {
          const used =
            required(now.processes[name], `CPU reading of ${name}`) - required(started.processes[name], `CPU reading of ${name}`);
          return [name, used / seconds];
        }),
      ),
      machine: (now.machine - started.machine) / seconds,
    };
  }
}
