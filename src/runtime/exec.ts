/**
 * Runs a command inside an instance's environment (exec probes). The command leads
 * its own process group, so a timeout can kill everything it started.
 */

import { spawn } from 'node:child_process';
import type { Clock } from '../clock.js';
import { signalGroup } from './groups.js';
import type { ExecResult } from './types.js';

const MAX_OUTPUT = 10 * 1024;

export interface ExecOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  clock: Clock;
}

export function runExec(opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve) => {
    if (opts.argv.length === 0) {
      resolve({ exitCode: null, output: 'exec: empty command', timedOut: false });
      return;
    }
    let output = '';
    const append = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT) output = (output + chunk.toString('utf8')).slice(0, MAX_OUTPUT);
    };
    let settled = false;
    let timedOut = false;
    const finish = (result: ExecResult) => {
      if (settled) return;
      settled = true;
      opts.clock.clearTimeout(timer);
      opts.clock.clearTimeout(closeWait);
      resolve(result);
    };
    const child = spawn(opts.argv[0], opts.argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = opts.clock.setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, opts.timeoutMs);
    let closeWait: ReturnType<Clock['setTimeout']> | undefined;

    child.once('error', (err: NodeJS.ErrnoException) => {
      const what = err.code === 'ENOENT' ? 'not found' : 'could not start';
      finish({
        exitCode: 127,
        output: `executable ${JSON.stringify(opts.argv[0])} ${what} (spawn ${err.code ?? err.message})`,
        timedOut: false,
      });
    });
    child.once('exit', (code) => {
      // Leave nothing behind: background processes the command started go too.
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      const result = () => ({ exitCode: timedOut ? null : code, output, timedOut });
      // Wait briefly for the pipes to drain; an escaped grandchild must not hold us.
      closeWait = opts.clock.setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(result());
      }, 500);
      child.once('close', () => finish(result()));
    });
  });
}
