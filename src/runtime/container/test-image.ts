/**
 * Test fixture: a tiny local image made without a registry, from busybox-static
 * (`apt-get install busybox-static`): /bin/busybox with symlinks for the applets
 * the tests use and /www/index.html for `httpd`. Imported once, cached by tag.
 */

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from './engine.js';

export const TEST_IMAGE = 'localhost/pier-test-busybox:1';
const APPLETS = ['sh', 'httpd', 'sleep', 'cat', 'echo', 'wget', 'dd', 'ps', 'grep', 'true'];

export async function ensureTestImage(): Promise<string> {
  const engine = createEngine({ kind: 'podman' });
  if ((await engine.run(['image', 'inspect', '--format', '{{.Id}}', TEST_IMAGE])).code === 0) return TEST_IMAGE;
  const dir = mkdtempSync(join(tmpdir(), 'pier-image-'));
  try {
    const root = join(dir, 'rootfs');
    for (const d of ['bin', 'www', 'tmp']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    for (const a of APPLETS) symlinkSync('busybox', join(root, 'bin', a));
    writeFileSync(join(root, 'www', 'index.html'), 'hello from pier\n');
    const tar = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    const r = await engine.run(['import', '--change', 'CMD ["/bin/sh"]', tar, TEST_IMAGE], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`podman import failed: ${r.stderr}`);
    return TEST_IMAGE;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
