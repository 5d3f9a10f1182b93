/** Helpers for the runtime tests: hand-built specs (the spec module is not needed), temp dirs, process groups. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProcfs } from '../../src/runtime/procfs.js';
import type { ContainerSpec, Metadata, ServiceSpec } from '../../src/spec/index.js';

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

/** True when no live (non-zombie) process is left in the process group. */
export function groupGone(pgid: number, procfs = createProcfs()): boolean {
  return procfs.members([pgid]).length === 0;
}
