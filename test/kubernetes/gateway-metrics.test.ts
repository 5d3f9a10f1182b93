/**
 * Issue #18: the control plane's autoscaler counts the requests of every
 * gateway replica. Two `pier gateway --kubernetes` processes each hold 3
 * requests at a pod; only their sum (6) at a target concurrency of 1 asks for
 * 6 pods, and the Deployment is scaled to 6. When one replica stops, its
 * contribution drops out.
 */

import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { startGatewayOnly } from '../../src/server.js';
import { kube, kubeOk, waitOnCluster } from './cluster.js';
import { onCluster, PodBackends } from './fixture.js';

const ns = 'pier-gwm';

type RunningGateway = { url: string; close(): Promise<void> };

const { cluster, pier, cleanup } = onCluster(ns);
const backends = new PodBackends();
const gateways: (RunningGateway | undefined)[] = [];
/** Requests the backends hold until `release()`. */
const held: http.ServerResponse[] = [];
const pending: Promise<unknown>[] = [];

function release(): void {
  for (const res of held.splice(0)) res.end('released');
}

// Run last registered first: release, the gateways, what they still answer, the backends.
cleanup(() => backends.close());
cleanup(() => Promise.allSettled(pending));
cleanup(async () => {
  for (const g of gateways) await g?.close();
});
cleanup(release);

/** A backend on every ready pod address of `held` that has none: `hold` bodies wait, others answer. */
const bindPods = () =>
  backends.bind(cluster(), ns, 'held', (ip) => (req, res) => {
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

const call = (g: RunningGateway | undefined, token: string, body = 'x') =>
  fetch(`${g?.url}/api/predict/held`, { method: 'POST', headers: { authorization: token }, body });

interface Status {
  desired?: number;
  /** The gateway replicas whose counters are in the sum. */
  gateways?: string[];
  metrics?: { panic?: { concurrency?: number } };
}
const autoscaler = async () =>
  ((await pier().api<ServiceDescription>('GET', '/api/v1/services/held')).body.autoscaler ?? {}) as Status;

describe('autoscaler metrics from every gateway replica (issue #18)', () => {
  it('sums the concurrency of two pier gateway --kubernetes replicas and scales to what only the sum justifies', async () => {
    const p = pier();
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
