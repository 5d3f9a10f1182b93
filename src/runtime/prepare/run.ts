/**
 * Runs one step of a prepare (venv, pip) with its output streamed line by line to
 * the instance log (`[pier] ` lines, so `pier logs` and `pier create` show progress)
 * and its last lines kept for the failure message. Bounded by a timeout that kills
 * the step's whole process group.
 */

import { spawn } from 'node:child_process';
import type { Clock } from '../../clock.js';
import { signalGroup } from '../groups.js';
import { prepareHostEnv } from '../host-env.js';

export interface StepResult {
  ok: boolean;
  /** e.g. "exit code 1", "timed out after 1800 s", "spawn python3: ENOENT". */
  how: string;
  /** The last output lines (at most `keep`). */
  tail: string[];
}

export interface StepOptions {
  file: string;
  args: string[];
  env?: Record<string, string>;
  /** Called with each output line (stdout and stderr). */
  onLine: (line: string) => void;
  timeoutMs: number;
  clock: Clock;
  keep?: number;
}

export function runStep(opts: StepOptions): Promise<StepResult> {
  const keep = opts.keep ?? 15;
  const tail: string[] = [];
  const line = (text: string) => {
    const trimmed = text.replace(/\s+$/, '');
    if (trimmed === '') return;
    opts.onLine(trimmed);
    tail.push(trimmed);
    if (tail.length > keep) tail.shift();
  };
  return new Promise((resolve) => {
    const child = spawn(opts.file, opts.args, {
      // Pier's secrets stay out of pip and of the build scripts it runs.
      env: opts.env ?? prepareHostEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer = opts.clock.setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, opts.timeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split(/\r?\n|\r/);
        partial = parts.pop() ?? '';
        for (const p of parts) line(p);
      });
      stream.on('end', () => line(partial));
    }
    child.once('error', (err: NodeJS.ErrnoException) => {
      opts.clock.clearTimeout(timer);
      resolve({ ok: false, how: `spawn ${opts.file}: ${err.code ?? err.message}`, tail });
    });
    child.once('close', (code, signal) => {
      opts.clock.clearTimeout(timer);
      if (timedOut) resolve({ ok: false, how: `timed out after ${Math.round(opts.timeoutMs / 1000)} s`, tail });
      else if (code === 0) resolve({ ok: true, how: 'exit code 0', tail });
      else resolve({ ok: false, how: signal ? `killed by ${signal}` : `exit code ${code}`, tail });
    });
  });
}
