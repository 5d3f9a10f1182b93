/**
 * A directory lock (`mkdir` is atomic) so two instances building the same cached
 * environment at once do not collide: the second waits, then finds it ready. A lock
 * whose owning process is gone (Pier crashed mid-install) is taken over.
 */

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../clock.js';

const POLL_MS = 250;

function ownerAlive(lockDir: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(lockDir, 'owner'), 'utf8'), 10);
  } catch {
    return true; // being created right now
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock, waiting up to `timeoutMs`; resolves to a release function, or null on timeout. */
export async function acquireLock(lockDir: string, clock: Clock, timeoutMs: number): Promise<(() => void) | null> {
  const deadline = clock.now() + timeoutMs;
  let ownerlessSince: number | undefined;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'owner'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!ownerAlive(lockDir)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    // An owner file that never appears (a crash between mkdir and write) counts as stale after 10 s.
    try {
      readFileSync(join(lockDir, 'owner'));
      ownerlessSince = undefined;
    } catch {
      ownerlessSince ??= clock.now();
      if (clock.now() - ownerlessSince > 10_000) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
    }
    if (clock.now() > deadline) return null;
    await clock.sleep(POLL_MS);
  }
}
