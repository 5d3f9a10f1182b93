/**
 * What the kernel knows about a container, read from the host as root: its CPU
 * time (cgroup accounting) and whether the kernel's OOM killer struck inside it
 * (the kernel log). Both are best effort and answer "unknown" when unreadable.
 */

import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';

/** The cgroup file holding a process's CPU time, or null (v1 `cpuacct.usage` in ns, v2 `cpu.stat`). */
export function cpuAccountingFile(pid: number): string | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers?.split(',').includes('cpuacct')) {
      // Mounted as `cpuacct` or `cpu,cpuacct` depending on the distribution.
      for (const d of [controllers, 'cpuacct', 'cpu,cpuacct']) {
        const file = `/sys/fs/cgroup/${d}${path}/cpuacct.usage`;
        if (readable(file)) return file;
      }
    }
  }
  const unified = text.split('\n').find((l) => l.startsWith('0::'));
  if (unified) {
    const file = `/sys/fs/cgroup${unified.slice(3)}/cpu.stat`;
    if (readable(file)) return file;
  }
  return null;
}

function readable(file: string): boolean {
  try {
    readFileSync(file);
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds from a file `cpuAccountingFile` returned, or undefined. */
export function readCpuSeconds(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('cpuacct.usage')) return Number(text.trim()) / 1e9;
    const m = /^usage_usec (\d+)/m.exec(text);
    return m ? Number(m[1]) / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the kernel log records an OOM kill in the container's memory cgroup
 * (`oom-kill:… oom_memcg=/…/libpod-<id>`). Podman on cgroup v1 does not always
 * notice OOM kills (its `OOMKilled` stays false); the kernel always logs them.
 */
export function kernelLoggedOomKill(containerId: string): boolean {
  let fd: number;
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  const buf = Buffer.alloc(8192);
  try {
    for (let i = 0; i < 100_000; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        // EPIPE: a record was overwritten while reading; go on. EAGAIN: the end.
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') continue;
        return false;
      }
      if (n <= 0) return false;
      const record = buf.toString('utf8', 0, n);
      if (record.includes('oom-kill:') && record.includes(containerId)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}
