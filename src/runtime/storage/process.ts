/**
 * How a process sees its storage: a process cannot own `/models`, so each
 * `storage[n]` appears as `<workDir>/mounts/<n>` (a symlink to the host directory)
 * and in the environment as `PIER_MOUNT_<n>` plus `PIER_MOUNTS` (JSON
 * `{mount_path: path}`). Commands are not rewritten.
 */

import { lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedMount } from './resolve.js';

/** Creates the symlinks; returns the env to add. */
export function linkProcessMounts(workDir: string, mounts: ResolvedMount[]): Record<string, string> {
  if (mounts.length === 0) return {};
  const dir = join(workDir, 'mounts');
  mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {};
  const table: Record<string, string> = {};
  for (const m of mounts) {
    const link = join(dir, String(m.index));
    try {
      lstatSync(link);
      rmSync(link, { recursive: false, force: true });
    } catch {
      // not there yet
    }
    symlinkSync(m.hostPath as string, link, 'dir');
    env[`PIER_MOUNT_${m.index}`] = link;
    table[m.mountPath] = link;
  }
  env.PIER_MOUNTS = JSON.stringify(table);
  return env;
}
