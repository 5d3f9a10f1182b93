/**
 * Exec probes inside the container (`<engine> exec`). Killing the engine's client
 * does not end what it started inside the container, so each exec carries a
 * marker variable, and on timeout every host process that carries it is killed.
 */

import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Clock } from '../../clock.js';
import { runExec } from '../exec.js';
import type { ExecResult } from '../types.js';
import type { Engine } from './engine.js';

const MARKER = 'PIER_EXEC_ID';

export async function execInContainer(
  engine: Engine,
  containerId: string,
  argv: string[],
  timeoutMs: number,
  clock: Clock,
): Promise<ExecResult> {
  if (argv.length === 0) return { exitCode: null, output: 'exec: empty command', timedOut: false };
  const marker = `${MARKER}=${randomUUID()}`;
  const result = await runExec({
    argv: [engine.binary, 'exec', '-e', marker, containerId, ...argv],
    env: engine.env,
    cwd: tmpdir(),
    timeoutMs,
    clock,
  });
  if (result.timedOut) killMarked(marker);
  return result;
}

/** SIGKILLs every process whose environment holds `marker` (the exec and its children). */
function killMarked(marker: string): void {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)) {
        process.kill(Number(pid), 'SIGKILL');
      }
    } catch {
      // gone, or not ours to read
    }
  }
}
