/**
 * The setup most cluster tests share: a test control plane of their own, a
 * namespace in it, and a Pier on `--platform kubernetes` there; plus backends
 * bound at pod addresses, which is how a test stands in for a pod's container
 * (kwok runs none). `onCluster` registers the file's beforeAll/afterAll; a failed
 * start is rethrown by every test that asks for the cluster, not by the hook.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startTestPier, type TestPier } from '../e2e/helpers.js';
import { type Cluster, downCluster, type KubeList, kubeOk, upCluster } from './cluster.js';

export interface OnCluster {
  /** The running cluster; throws what made the start fail. */
  cluster(): Cluster;
  /** The Pier running on it; throws when it failed to start or the test stopped it. */
  pier(): TestPier;
  /** Stops the Pier (a test of what goes on without a control plane); idempotent. */
  stopPier(): Promise<void>;
  /** Run in afterAll before the Pier and the cluster go (gateways, held requests…), last registered first. */
  cleanup(fn: () => unknown): void;
}

export function onCluster(namespace: string, opts: { pier?: boolean } = {}): OnCluster {
  let dir: string | undefined;
  let c: Cluster | undefined;
  let upError: Error | undefined;
  let pier: TestPier | undefined;
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), `pier-k8s-${namespace}-`));
    try {
      c = await upCluster(path.join(dir, 'cluster'));
      await kubeOk(c, 'POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace },
      });
      if (opts.pier !== false) {
        pier = await startTestPier({
          platform: { kind: 'kubernetes', kubeconfig: c.kubeconfig, namespace, defaultImage: 'pier.test/runner:1' },
        });
      }
    } catch (err) {
      upError = err as Error;
    }
  }, 600_000);

  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn();
    await pier?.close();
    if (dir) {
      await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  const cluster = (): Cluster => {
    if (upError) throw upError;
    if (!c) throw new Error('the test cluster is not up (beforeAll has not run)');
    return c;
  };
  return {
    cluster,
    pier() {
      cluster();
      if (!pier) throw new Error('no Pier running');
      return pier;
    },
    async stopPier() {
      const p = pier;
      pier = undefined;
      await p?.close();
    },
    cleanup(fn) {
      cleanups.push(fn);
    },
  };
}

/** The addresses of the ready endpoints of a Service's EndpointSlices. */
export async function readyPodAddresses(c: Cluster, namespace: string, service: string): Promise<string[]> {
  const slices = await kubeOk<KubeList<{ endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }>>(
    c,
    'GET',
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${service}`,
  );
  return slices.items.flatMap((s) =>
    (s.endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.addresses[0] as string),
  );
}

/** HTTP servers on pod addresses (port 8000, the specs' container port), each bound once. */
export class PodBackends {
  private readonly servers: http.Server[] = [];
  private readonly bound = new Set<string>();

  /** Binds `handler` on every ready pod address of `service` that has no backend yet; returns all of them. */
  async bind(
    c: Cluster,
    namespace: string,
    service: string,
    handler: (ip: string) => http.RequestListener,
  ): Promise<string[]> {
    const ips = await readyPodAddresses(c, namespace, service);
    for (const ip of ips) {
      if (this.bound.has(ip)) continue;
      const server = http.createServer(handler(ip));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(8000, ip, () => resolve());
      });
      this.servers.push(server);
      this.bound.add(ip);
    }
    return ips;
  }

  async close(): Promise<void> {
    for (const s of this.servers) s.closeAllConnections();
    await Promise.all(this.servers.map((s) => new Promise((done) => s.close(done))));
  }
}

/** A handler that reads the body and answers `text`. */
export function answering(text: string): http.RequestListener {
  return (req, res) => {
    req.resume();
    req.on('end', () => res.end(text));
  };
}
