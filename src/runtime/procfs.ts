/**
 * Reads Linux /proc: the process table by group, resident memory, CPU ticks and
 * start times. Everything here is synchronous and cheap (a few hundred small
 * reads); the callers poll it at most once a second per instance.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** cutime + cstime (children already waited for), in clock ticks. */
  childCpuTicks: number;
  /** Start time since boot, in clock ticks. */
  startTicks: number;
  rssPages: number;
}

export interface Procfs {
  readonly clkTck: number;
  readonly pageSize: number;
  /** Parsed /proc/<pid>/stat, or null when the process is gone. */
  stat(pid: number): ProcStat | null;
  /** Live (non-zombie) processes whose process group is one of `pgids`. */
  members(pgids: Iterable<number>): ProcStat[];
  /** A process's start time as epoch ms (10 ms precision), or null when it is gone. */
  startedAtMs(pid: number): number | null;
  /** True when the process exists, is not a zombie and started at `startedAt` (± toleranceMs). */
  isSameProcess(pid: number, startedAt: number, toleranceMs?: number): boolean;
}

/** Parses the text of /proc/<pid>/stat; `comm` may hold spaces and parentheses. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // Fields from the 3rd (state) on; man proc numbers them from 1.
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  if (f.length < 22) return null;
  return {
    pid,
    state: f[0],
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    childCpuTicks: Number(f[13]) + Number(f[14]),
    startTicks: Number(f[19]),
    rssPages: Number(f[21]),
  };
}

function getconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 5000 }).trim());
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

export function createProcfs(root = '/proc'): Procfs {
  const clkTck = getconf('CLK_TCK', 100);
  const pageSize = getconf('PAGESIZE', 4096);

  const bootTimeMs = (): number => {
    const match = /^btime (\d+)$/m.exec(readFileSync(`${root}/stat`, 'utf8'));
    return match ? Number(match[1]) * 1000 : 0;
  };

  const stat = (pid: number): ProcStat | null => {
    try {
      return parseStat(readFileSync(`${root}/${pid}/stat`, 'utf8'));
    } catch {
      return null;
    }
  };

  const startedAtMs = (pid: number): number | null => {
    const s = stat(pid);
    if (!s || s.state === 'Z' || s.state === 'X') return null;
    return bootTimeMs() + Math.round((s.startTicks * 1000) / clkTck);
  };

  return {
    clkTck,
    pageSize,
    stat,
    startedAtMs,
    members(pgids) {
      const wanted = new Set(pgids);
      if (wanted.size === 0) return [];
      const out: ProcStat[] = [];
      let names: string[];
      try {
        names = readdirSync(root);
      } catch {
        return out;
      }
      for (const name of names) {
        const c = name.charCodeAt(0);
        if (c < 48 || c > 57) continue;
        const s = stat(Number(name));
        if (s && wanted.has(s.pgid) && s.state !== 'Z' && s.state !== 'X') out.push(s);
      }
      return out;
    },
    isSameProcess(pid, startedAt, toleranceMs = 2000) {
      const actual = startedAtMs(pid);
      return actual !== null && Math.abs(actual - startedAt) <= toleranceMs;
    },
  };
}
