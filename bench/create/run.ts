/**
 * bench/create: how long Pier adds between `create` and Running, beyond the
 * app's own start time. In one run, for each app: start it directly (spawn,
 * poll its health URL every 10 ms until 200) and through Pier (create, poll the
 * service every 10 ms until Running), N times each; print medians and the
 * difference.
 *
 *   node --import tsx bench/create/run.ts       (BENCH_RUNS=5 by default)
 */

import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ServiceDescription } from '../../src/api/index.js';
import { fixtureApp, freePort, repoRoot, startTestPier } from '../../test/e2e/helpers.js';
import { buildAppImage, podman } from '../../test/support/image.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface App {
  label: string;
  argv: string[];
  healthPath: string;
}

const apps: App[] = [
  {
    label: 'Python iris classifier',
    argv: ['python3', path.join(repoRoot, 'examples/python-classifier/app.py')],
    healthPath: '/health',
  },
  { label: 'Node test app', argv: [process.execPath, fixtureApp], healthPath: '/health' },
];

async function healthy(port: number, p: string): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(500) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function direct(app: App): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(app.argv[0], app.argv.slice(1), { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  try {
    for (let i = 0; i < 3000; i++) {
      if (await healthy(port, app.healthPath)) return performance.now() - t0;
      await sleep(10);
    }
    throw new Error(`${app.label} did not start`);
  } finally {
    child.kill('SIGKILL');
  }
}

async function throughPier(app: App, n: number): Promise<number> {
  const name = `bench_${n}`;
  const spec = {
    name,
    metadata: { instance: 1 },
    containers: [
      {
        command: app.argv.join(' '),
        port: 8000,
        readiness_check: { http_get: { path: app.healthPath, port: 8000 }, period_seconds: 1 },
      },
    ],
  };
  return createToRunning(spec);
}

/** The container peer: `podman run` of the same image, polled until it answers. */
async function directContainer(image: string): Promise<number> {
  const port = await freePort();
  const name = `pier-bench-direct-${port}`;
  const t0 = performance.now();
  podman([
    'run',
    '-d',
    '--rm',
    '--init',
    '--name',
    name,
    '-p',
    `127.0.0.1:${port}:8000`,
    image,
    'httpd',
    '-f',
    '-p',
    '8000',
    '-h',
    '/www',
  ]);
  try {
    for (let i = 0; i < 3000; i++) {
      if (await healthy(port, '/index.html')) return performance.now() - t0;
      await sleep(10);
    }
    throw new Error('the container did not answer');
  } finally {
    podman(['rm', '-f', name]);
  }
}

async function containerThroughPier(image: string, n: number): Promise<number> {
  const name = `bench_${n}`;
  const spec = {
    name,
    containers: [
      {
        image,
        script: 'httpd -f -p 8000 -h /www',
        port: 8000,
        readiness_check: { http_get: { path: '/index.html', port: 8000 }, period_seconds: 1 },
      },
    ],
  };
  return createToRunning(spec);
}

/** Creates the service, polls it every 10 ms until Running, deletes it; returns the ms in between. */
async function createToRunning(spec: { name: string }): Promise<number> {
  const t0 = performance.now();
  const res = await api('POST', '/api/v1/services', spec);
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  try {
    for (let i = 0; i < 3000; i++) {
      const d = (await api('GET', `/api/v1/services/${spec.name}`)).body as ServiceDescription;
      if (d.status === 'Running') return performance.now() - t0;
      await sleep(10);
    }
    throw new Error(`${spec.name} did not reach Running`);
  } finally {
    await api('DELETE', `/api/v1/services/${spec.name}`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const pier = await startTestPier();
const api = pier.api;
console.log(
  '| app | direct start → healthy (median ms) | pier create → Running (median ms) | Pier overhead (ms) | ratio |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
let n = 0;
try {
  for (const app of apps) {
    const d: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      d.push(await direct(app));
      p.push(await throughPier(app, n++));
    }
    const md = median(d);
    const mp = median(p);
    console.log(
      `| ${app.label} | ${md.toFixed(0)} | ${mp.toFixed(0)} | ${(mp - md).toFixed(0)} | ${(mp / md).toFixed(2)} |`,
    );
  }
  if (process.env.BENCH_CONTAINERS !== '0') {
    const image = buildAppImage('bench');
    const d: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      d.push(await directContainer(image));
      p.push(await containerThroughPier(image, n++));
    }
    const md = median(d);
    const mp = median(p);
    console.log(
      `| busybox httpd image on podman (peer: podman run) | ${md.toFixed(0)} | ${mp.toFixed(0)} | ${(mp - md).toFixed(0)} | ${(mp / md).toFixed(2)} |`,
    );
  }
} finally {
  await pier.close();
}
