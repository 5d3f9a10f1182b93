/**
 * Signals for process groups. Every process an instance starts leads its own group
 * (spawned detached, so setsid), and every signal goes to the whole group so that
 * children, grandchildren and forks go with it.
 */

import type { Clock } from '../clock.js';
import type { Procfs } from './procfs.js';

/** Sends `signal` to the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGKILLs the groups until /proc shows no member left (a forking app can add
 * members between the kill and the check). Bounded by `timeoutMs`; true when gone.
 */
export async function killGroupsUntilGone(
  procfs: Procfs,
  clock: Clock,
  pgids: number[],
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    for (const pgid of pgids) signalGroup(pgid, 'SIGKILL');
    const left = procfs.members(pgids);
    if (left.length === 0) return true;
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (clock.now() >= deadline) return false;
    await clock.sleep(50);
  }
}
