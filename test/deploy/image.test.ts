/**
 * Pier's own image (issue 18): deploy/kubernetes/Containerfile builds with podman and
 * the image runs Pier. No registry is reachable here, so the build starts from the
 * Debian 12 base that test/deploy/base-image.sh made with mmdebstrap (scripts/setup.sh
 * runs it); everything else comes as in any build: Debian's apt mirror and the npm
 * registry. The container shares the host's network, so its ports are on loopback.
 */

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../e2e/helpers.js';
import { waitFor } from '../support/wait.js';

const root = path.resolve(import.meta.dirname, '../..');
const IMAGE = 'localhost/pier:test';
const BASE = 'localhost/pier-debian:bookworm';
const env = { ...process.env, CONTAINERS_CONF: path.join(root, 'src/runtime/container/containers.conf') };
const containers = new Set<string>();

function podman(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('podman', args, { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

/** Runs the image with another entrypoint and returns what it printed. */
function inImage(entrypoint: string, ...args: string[]): string {
  const r = podman(['run', '--rm', '--network=host', '--entrypoint', entrypoint, IMAGE, ...args]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  // Cold, this downloads Debian's Node 18 and npm to bootstrap, then Pier's production
  // dependencies with Node 24 (a few minutes); unchanged layers come from podman's cache.
  const build = spawnSync(
    'podman',
    [
      'build',
      '--network=host',
      '--build-arg',
      `BASE=${BASE}`,
      '-f',
      'deploy/kubernetes/Containerfile',
      '-t',
      IMAGE,
      '.',
    ],
    { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  if (build.status !== 0) throw new Error(`podman build failed (${build.status}):\n${build.stderr.slice(-4000)}`);
}, 1_200_000);

afterAll(() => {
  for (const name of containers) podman(['rm', '--force', '--time', '0', name]);
});

describe('deploy/kubernetes/Containerfile', () => {
  it('runs Pier on Node 24 as an unprivileged user, with no npm or compiler left in the image', () => {
    const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
    expect(podman(['run', '--rm', IMAGE, '--version'])).toMatchObject({ status: 0, stdout: version });
    expect(inImage('node', '--version')).toMatch(/^v24\./);
    expect(inImage('id', '-u')).toBe('1000');
    expect(inImage('sh', '-c', 'command -v npm g++ make || echo none')).toBe('none');
    // better-sqlite3 was compiled for the image's Node: the store opens.
    expect(inImage('node', '-e', "new (require('better-sqlite3'))(':memory:').close(); console.log('ok')")).toBe('ok');
  });

  it('serves the control API and the gateway from `pier server`, and stops on SIGTERM', async () => {
    const [control, gateway] = [await freePort(), await freePort()];
    const name = `pier-image-test-${process.pid}`;
    containers.add(name);
    const token = 'image-test-admin-token';
    const server = spawn(
      'podman',
      [
        'run',
        '--rm',
        '--name',
        name,
        '--network=host',
        '-e',
        `PIER_ADMIN_TOKEN=${token}`,
        IMAGE,
        'server',
        '--home=/var/lib/pier',
        `--control-port=${control}`,
        `--gateway-port=${gateway}`,
        '--gateway-host=127.0.0.1',
        '--gateway-workers=1',
      ],
      { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    server.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));

    const health = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${control}/healthz`).catch(() => undefined);
        return res?.status === 200 ? res : undefined;
      },
      { what: 'the containerised pier server to answer /healthz', timeoutMs: 60_000 },
    );
    expect(health.status).toBe(200);
    const list = await fetch(`http://127.0.0.1:${control}/api/v1/services`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect([list.status, await list.json()]).toEqual([200, []]);
    expect((await fetch(`http://127.0.0.1:${control}/api/v1/services`)).status).toBe(401);
    // The gateway listens too: a call without a token is refused before any routing.
    const unknown = await fetch(`http://127.0.0.1:${gateway}/api/predict/nothing`);
    expect(unknown.status).toBe(401);

    expect(podman(['stop', '--time', '20', name]).status).toBe(0);
    expect(await exited, stderr).toBe(0);
    containers.delete(name);
  });
});
