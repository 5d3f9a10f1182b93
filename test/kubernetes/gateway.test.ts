/**
 * `pier gateway --kubernetes`: a gateway that reads PierServices, their token
 * Secrets and EndpointSlices from the cluster itself keeps serving, with auth,
 * while no control plane runs, and follows pods the Deployment controller adds.
 */

import { describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { startGatewayOnly } from '../../src/server.js';
import { kube, waitOnCluster } from './cluster.js';
import { answering, onCluster, PodBackends } from './fixture.js';

const ns = 'pier-gw';
const adminToken = 'k8s-gw-admin-token-0123456789abcdef';

const { cluster, pier, stopPier, cleanup } = onCluster(ns);
const backends = new PodBackends();
let gateway: { url: string; close(): Promise<void> } | undefined;
let token = '';
cleanup(() => backends.close());
cleanup(() => gateway?.close());

/** Binds a backend answering its own address on every ready pod address of the service that has none yet. */
const bindPods = () => backends.bind(cluster(), ns, 'echo', (ip) => answering(ip));

const call = (auth = token) =>
  fetch(`${gateway?.url}/api/predict/echo`, { method: 'POST', headers: { authorization: auth }, body: 'x' });

describe('pier gateway --kubernetes', () => {
  it('routes with the token from the Secret to pods from the EndpointSlices', async () => {
    const p = pier();
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
    await stopPier();
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
