/**
 * A tiny local image for container tests and benchmarks, made without a
 * registry: busybox-static's /bin/busybox with applet symlinks, and an httpd
 * document root whose index.html says "model <tag>". `podman import` takes
 * about 0.2 s.
 */

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shippedContainersConf } from '../../src/runtime/container/index.js';

export const TEST_APP_IMAGE = 'localhost/pier-e2e-app';

export function podman(args: string[]): string {
  return execFileSync('podman', args, {
    env: { ...process.env, CONTAINERS_CONF: shippedContainersConf() },
    timeout: 120_000,
  }).toString();
}

/** Builds `localhost/pier-e2e-app:<tag>`; returns the image name. */
export function buildAppImage(tag: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pier-image-'));
  try {
    const root = path.join(dir, 'rootfs');
    for (const d of ['bin', 'www', 'tmp']) mkdirSync(path.join(root, d), { recursive: true });
    copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
    for (const a of ['sh', 'httpd', 'sleep', 'cat', 'true', 'test']) symlinkSync('busybox', path.join(root, 'bin', a));
    writeFileSync(path.join(root, 'www', 'index.html'), `model ${tag}\n`);
    const tar = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    const image = `${TEST_APP_IMAGE}:${tag}`;
    podman(['import', '--change', 'CMD ["/bin/sh"]', tar, image]);
    return image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
