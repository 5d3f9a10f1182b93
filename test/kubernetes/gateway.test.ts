/**
 * `pier gateway --kubernetes`: a gateway that reads PierServices, their token
 * Secrets and EndpointSlices from the cluster itself keeps serving, with auth,
 * while no control plane runs, and follows pods the Deployment controller adds.
 */

import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { startGatewayOnly } from '../../src/server.js';
import { startTestPier, type TestPier } from '../e2e/helpers.js';
import { type Cluster, downCluster, type KubeList, kube, kubeOk, upCluster, waitOnCluster } from './cluster.js';

const ns = 'pier-gw';
const adminToken = 'k8s-gw-admin-token-0123456789abcdef';

let dir: string;
let c: Cluster;
let upError: Error | undefined;
let pier: TestPier | undefined;
let gateway: { url: string; close(): Promise<void> } | undefined;
let token = '';
const backends: http.Server[] = [];
const bound = new Set<string>();

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-gw-'));
  try {
    c = await upCluster(path.join(dir, 'cluster'));
    await kubeOk(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    pier = await startTestPier({
      platform: { kind: 'kubernetes', kubeconfig: c.kubeconfig, namespace: ns, defaultImage: 'pier.test/runner:1' },
    });
  } catch (err) {
    upError = err as Error;
  }
}, 600_000);

afterAll(async () => {
  await gateway?.close();
  await pier?.close();
  await Promise.all(backends.map((b) => new Promise((done) => b.close(done))));
  if (dir) {
    await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

/** Binds a backend on every ready pod address of the service that has none yet. */
async function bindPods(): Promise<string[]> {
  const slices = await kubeOk<KubeList<{ endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }>>(
    cluster(),
    'GET',
    `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Decho`,
  );
  const ips = slices.items.flatMap((s) =>
    (s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.addresses[0] as string),
  );
  for (const ip of ips) {
    if (bound.has(ip)) continue;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(ip));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(8000, ip, () => resolve());
    });
    backends.push(server);
    bound.add(ip);
  }
  return ips;
}

const call = (auth = token) =>
  fetch(`${gateway?.url}/api/predict/echo`, { method: 'POST', headers: { authorization: auth }, body: 'x' });

describe('pier gateway --kubernetes', () => {
  it('routes with the token from the Secret to pods from the EndpointSlices', async () => {
    cluster();
    const p = pier;
    if (!p) throw new Error('no Pier running');
    const spec = { name: 'echo', metadata: { instance: 2 }, containers: [{ image: 'pier.test/echo:1', port: 8000 }] };
    expect((await p.api('POST', '/api/v1/services', spec)).status).toBe(201);
    const d = await waitOnCluster(
      async () => (await p.api<ServiceDescription>('GET', '/api/v1/services/echo')).body,
      (x) => x.status === 'Running' && x.instances.ready === 2,
      'echo Running',
    );
    token = d.token;
    await waitOnCluster(bindPods, (ips) => ips.length === 2, 'two ready pod addresses');
    await waitOnCluster(
      async () => (await kube(cluster(), 'GET', `/api/v1/namespaces/${ns}/secrets/echo-token`)).status,
      (s) => s === 200,
      'the token Secret',
    );
    gateway = await startGatewayOnly({
      controlUrl: 'http://127.0.0.1:9',
      adminToken,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'warn',
      kubernetes: { kubeconfig: cluster().kubeconfig, namespace: ns },
    });
    const seen = new Set<string>();
    await waitOnCluster(
      async () => {
        const res = await call();
        if (res.status === 200) seen.add(await res.text());
        return seen.size;
      },
      (n) => n === 2,
      'both pods reached through the gateway',
    );
    expect((await call('wrong-token')).status).toBe(401);
  });

  it('keeps serving while no control plane runs, and follows a pod the Deployment controller adds', async () => {
    await pier?.close();
    pier = undefined;
    let ok = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) {
          const res = await call();
          await res.arrayBuffer();
          if (res.status === 200) ok++;
          else failed++;
        }
      }),
    );
    expect({ ok, failed }).toEqual({ ok: 200, failed: 0 });

    await kube(
      cluster(),
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/deployments/echo/scale`,
      { spec: { replicas: 3 } },
      'application/merge-patch+json',
    );
    await waitOnCluster(bindPods, (ips) => ips.length === 3, 'a third ready pod');
    const seen = new Set<string>();
    await waitOnCluster(
      async () => {
        const res = await call();
        if (res.status === 200) seen.add(await res.text());
        return seen.size;
      },
      (n) => n === 3,
      'the new pod reached with no control plane',
    );
  });
});
