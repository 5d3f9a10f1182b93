/**
 * `storage[].nfs` on the local platform: used when the export is already mounted on
 * the host (found in /proc/mounts); otherwise mounted under `<home>/nfs/<server>/<path>`
 * when Pier runs as root and `mount.nfs` is installed; otherwise a clear error.
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { instanceHostEnv } from '../host-env.js';

const norm = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** The host mount point of `server:path`, from /proc/mounts text; null when not mounted. */
export function findNfsMount(mountsText: string, server: string, path: string): string | null {
  const want = `${server}:${norm(path)}`;
  for (const line of mountsText.split('\n')) {
    const [device, mountPoint, type] = line.split(' ');
    if (!type?.startsWith('nfs')) continue;
    const [host, ...rest] = device.split(':');
    if (`${host}:${norm(rest.join(':'))}` === want) return mountPoint.replace(/\\040/g, ' ');
  }
  return null;
}

export async function ensureNfs(
  home: string,
  nfs: { server: string; path: string; readOnly: boolean },
  at: string,
): Promise<string> {
  let mounts = '';
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    // not Linux: fall through to the error
  }
  const found = findNfsMount(mounts, nfs.server, nfs.path);
  if (found) return found;
  const helper = ['/sbin/mount.nfs', '/usr/sbin/mount.nfs'].some((p) => existsSync(p));
  const how = `mount it on this host first (e.g. sudo mount -t nfs ${nfs.server}:${nfs.path} /mnt/x), then start again`;
  if (process.getuid?.() !== 0 || !helper) {
    const why = !helper ? 'mount.nfs is not installed (apt-get install nfs-common)' : 'Pier is not running as root';
    throw new Error(`${at}: nfs ${nfs.server}:${nfs.path} is not mounted on this host and ${why}; ${how}`);
  }
  const target = join(home, 'nfs', nfs.server, ...nfs.path.split('/').filter((p) => p !== '' && p !== '..'));
  mkdirSync(target, { recursive: true });
  const opts = nfs.readOnly ? ['-o', 'ro'] : [];
  await new Promise<void>((resolve, reject) => {
    execFile(
      'mount',
      // `--`: the source is user input and must never be read as an option.
      ['-t', 'nfs', ...opts, '--', `${nfs.server}:${nfs.path}`, target],
      { timeout: 60_000, env: instanceHostEnv() },
      (err, _o, stderr) =>
        err
          ? reject(
              new Error(
                `${at}: mount -t nfs ${nfs.server}:${nfs.path} failed: ${stderr.trim() || err.message}; ${how}`,
              ),
            )
          : resolve(),
    );
  });
  return target;
}
