/** Helpers for this folder's tests: hand-built specs (the spec module is not needed) and bounded waits. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcfs } from './procfs.js';
import type { ContainerSpec, Metadata, ServiceSpec } from '../spec/index.js';

export function makeSpec(containers: Partial<ContainerSpec>[], metadata: Partial<Metadata> = {}): ServiceSpec {
  return {
    name: 'svc',
    metadata: {
      name: 'svc',
      instance: 1,
      gpu: 0,
      enable_grpc: false,
      enable_webservice: false,
      rolling_strategy: { max_surge: 1, max_unavailable: 0, min_ready_seconds: 0, progress_deadline_seconds: 600 },
      rpc: { keepalive: 5000, worker_threads: 5, max_queue_size: 64, enable_sigterm: false },
      eas: { termination_grace_period: 30 },
      ...metadata,
    },
    containers: containers.map((c) => ({ env: [], ...c })),
    storage: [],
  };
}

export function tempDir(prefix = 'pier-runtime-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Polls `check` every 50 ms until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when no live (non-zombie) process is left in the process group. */
export function groupGone(pgid: number, procfs = createProcfs()): boolean {
  return procfs.members([pgid]).length === 0;
}
