/**
 * Container output lands in `<logDir>/instance.log`: a detached `<engine> logs -f`
 * appends to it, so the controller's readLogTail/followLog work as for processes.
 * The follower is unref'd and writes straight to the file, so it outlives a Pier
 * restart; it ends by itself when the container ends, after copying everything.
 */

import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import type { Clock } from '../../clock.js';
import { openLogForAppend } from '../logs.js';
import type { Engine } from './engine.js';

export interface Follower {
  pid?: number;
  /** Resolves when the follower has ended (it copied all output). */
  done(clock: Clock, timeoutMs: number): Promise<void>;
}

/** Starts `logs -f` for the container; `sinceSeconds` skips output already copied (adoption). */
export function startFollower(engine: Engine, id: string, logDir: string, sinceEpochS?: number): Follower {
  const fd = openLogForAppend(logDir);
  const args = ['logs', '-f', ...(sinceEpochS !== undefined ? ['--since', String(sinceEpochS)] : []), id];
  let ended = false;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    child = spawn(engine.binary, args, { env: engine.env, detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => {
      ended = true;
    });
    child.once('exit', () => {
      ended = true;
    });
    child.unref();
  } finally {
    closeSync(fd);
  }
  return {
    pid: child?.pid,
    done: (clock, timeoutMs) => waitUntil(clock, timeoutMs, () => ended),
  };
}

/** A follower started by an earlier Pier process, if it still runs. */
export function existingFollower(pid: number | undefined, id: string): Follower | null {
  if (pid === undefined || !isFollowerOf(pid, id)) return null;
  return { pid, done: (clock, timeoutMs) => waitUntil(clock, timeoutMs, () => !isFollowerOf(pid, id)) };
}

function isFollowerOf(pid: number, id: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('logs') && argv.includes(id);
  } catch {
    return false;
  }
}

async function waitUntil(clock: Clock, timeoutMs: number, done: () => boolean): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  while (!done() && clock.now() < deadline) await clock.sleep(50);
}
