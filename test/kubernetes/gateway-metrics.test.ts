/**
 * Issue #18: the control plane's autoscaler counts the requests of every
 * gateway replica. Two `pier gateway --kubernetes` processes each hold 3
 * requests at a pod; only their sum (6) at a target concurrency of 1 asks for
 * 6 pods, and the Deployment is scaled to 6. When one replica stops, its
 * contribution drops out.
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

const ns = 'pier-gwm';

type RunningGateway = { url: string; close(): Promise<void> };

let dir: string;
let c: Cluster;
let upError: Error | undefined;
let pier: TestPier | undefined;
const gateways: (RunningGateway | undefined)[] = [];
const backends: http.Server[] = [];
const bound = new Set<string>();
/** Requests the backends hold until `release()`. */
const held: http.ServerResponse[] = [];
const pending: Promise<unknown>[] = [];

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

function release(): void {
  for (const res of held.splice(0)) res.end('released');
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-gwm-'));
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
  release();
  for (const g of gateways) await g?.close();
  await Promise.allSettled(pending);
  await pier?.close();
  for (const b of backends) b.closeAllConnections();
  await Promise.all(backends.map((b) => new Promise((done) => b.close(done))));
  if (dir) {
    await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

/** A backend on every ready pod address of `held` that has none: `hold` bodies wait, others answer. */
async function bindPods(): Promise<string[]> {
  const slices = await kubeOk<KubeList<{ endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }>>(
    cluster(),
    'GET',
    `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dheld`,
  );
  const ips = slices.items.flatMap((s) =>
    (s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.addresses[0] as string),
  );
  for (const ip of ips) {
    if (bound.has(ip)) continue;
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        if (body === 'hold') held.push(res);
        else res.end(ip);
      });
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

const call = (g: RunningGateway | undefined, token: string, body = 'x') =>
  fetch(`${g?.url}/api/predict/held`, { method: 'POST', headers: { authorization: token }, body });

interface Status {
  desired?: number;
  /** The gateway replicas whose counters are in the sum. */
  gateways?: string[];
  metrics?: { panic?: { concurrency?: number } };
}
const autoscaler = async () =>
  ((await pier?.api<ServiceDescription>('GET', '/api/v1/services/held'))?.body.autoscaler ?? {}) as Status;

describe('autoscaler metrics from every gateway replica (issue #18)', () => {
  it('sums the concurrency of two pier gateway --kubernetes replicas and scales to what only the sum justifies', async () => {
    cluster();
    const p = pier;
    if (!p) throw new Error('no Pier running');
    const spec = {
      name: 'held',
      // Held requests must outlast the gateway's default 5 s timeout.
      metadata: { instance: 1, rpc: { keepalive: 600_000 } },
      containers: [{ image: 'pier.test/echo:1', port: 8000 }],
      autoscaler: { min: 1, max: 10, scaleStrategies: [{ metricName: 'concurrency', threshold: 1 }] },
    };
    expect((await p.api('POST', '/api/v1/services', spec)).status).toBe(201);
    const d = await waitOnCluster(
      async () => (await p.api<ServiceDescription>('GET', '/api/v1/services/held')).body,
      (x) => x.status === 'Running' && x.instances.ready === 1,
      'held Running',
    );
    await waitOnCluster(bindPods, (ips) => ips.length === 1, 'a ready pod address');
    await waitOnCluster(
      async () => (await kube(cluster(), 'GET', `/api/v1/namespaces/${ns}/secrets/held-token`)).status,
      (s) => s === 200,
      'the token Secret',
    );
    for (let i = 0; i < 2; i++) {
      gateways.push(
        await startGatewayOnly({
          controlUrl: p.controlUrl,
          adminToken: p.adminToken,
          gatewayId: `replica-${i}`,
          host: '127.0.0.1',
          port: 0,
          logLevel: 'warn',
          kubernetes: { kubeconfig: cluster().kubeconfig, namespace: ns },
        }),
      );
    }
    for (const g of gateways) {
      await waitOnCluster(
        async () => {
          const res = await call(g, d.token);
          await res.arrayBuffer();
          return res.status;
        },
        (s) => s === 200,
        'the gateway routes to the pod',
      );
    }

    for (const g of gateways) for (let i = 0; i < 3; i++) pending.push(call(g, d.token, 'hold').catch(() => undefined));
    await waitOnCluster(
      async () => held.length,
      (n) => n === 6,
      'six requests held at the pod',
    );
    const seen = await waitOnCluster(autoscaler, (s) => (s.desired ?? 0) >= 6, 'the autoscaler asks for 6');
    expect(seen.desired).toBe(6);
    expect(seen.gateways).toEqual(['replica-0', 'replica-1']);
    expect(seen.metrics?.panic?.concurrency).toBeLessThanOrEqual(6);
    await waitOnCluster(
      async () =>
        (
          await kubeOk<{ spec: { replicas: number } }>(
            cluster(),
            'GET',
            `/apis/apps/v1/namespaces/${ns}/deployments/held`,
          )
        ).spec.replicas,
      (n) => n === 6,
      'the Deployment scaled to 6',
    );
  });

  it('drops a replica that stops reporting', async () => {
    cluster();
    await gateways[1]?.close();
    gateways[1] = undefined;
    // The panic window (6 s) averages down to what the remaining replica holds (3).
    const s = await waitOnCluster(
      autoscaler,
      (x) => (x.metrics?.panic?.concurrency ?? 99) <= 3,
      'the stopped replica’s requests out of the sum',
    );
    expect(s.metrics?.panic?.concurrency).toBeGreaterThan(0);
    expect(s.gateways).toEqual(['replica-0']);
    release();
  });
});
