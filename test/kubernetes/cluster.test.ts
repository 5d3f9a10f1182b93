/**
 * Smoke test of the test control plane (cluster.sh): the controllers, the scheduler
 * and kwok do what Pier's Kubernetes platform will rely on. Run it under netns.sh:
 *   bash test/kubernetes/netns.sh npx vitest run test/kubernetes/cluster.test.ts
 * It fails (never skips) when the binaries are missing, naming build.sh.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import {
  type Cluster,
  type EndpointSlice,
  type KubeList,
  type Node,
  type Pod,
  clusterPids,
  downCluster,
  kube,
  kubeOk,
  upCluster,
} from './cluster.js';

const ns = 'smoke';
const apps = `/apis/apps/v1/namespaces/${ns}`;
const core = `/api/v1/namespaces/${ns}`;
// Generous bounds: the machine is shared and slow; each wait ends on its event.
const slow = { timeoutMs: 120_000, intervalMs: 250 };

let dir: string;
let c: Cluster;
let pids: Map<string, number> = new Map();

let upError: Error | undefined;

// A cluster that cannot start fails every test with cluster.sh's message (which
// names build.sh or netns.sh): nothing here is skipped.
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-'));
  try {
    c = await upCluster(dir);
  } catch (err) {
    upError = err as Error;
  } finally {
    try {
      pids = clusterPids(dir);
    } catch {}
  }
}, 600_000);

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

afterAll(async () => {
  if (!dir) return;
  await downCluster(dir);
  const left = [...pids].filter(([, pid]) => alive(pid));
  rmSync(dir, { recursive: true, force: true });
  expect(left, 'components still running after down').toEqual([]);
}, 120_000);

/** Whether the process still runs; a zombie (exited, not yet reaped by whoever inherited it) does not. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const labels = { app: 'echo' };
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'echo', labels },
  spec: {
    replicas: 2,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'pier.test/echo:1',
            ports: [{ containerPort: 8080, name: 'http' }],
            resources: {
              requests: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' },
              limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' },
            },
          },
        ],
      },
    },
  },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'echo' },
  spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};

const isReady = (pod: Pod) =>
  pod.status?.phase === 'Running' &&
  pod.status.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True');

describe('test control plane', () => {
  it('has three fake GPU nodes and two tainted elastic ones, with capacity and labels', async () => {
    const c = cluster();
    const nodes = await kubeOk<KubeList<Node>>(c, 'GET', '/api/v1/nodes');
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual([
      'kwok-elastic-0',
      'kwok-elastic-1',
      'kwok-node-0',
      'kwok-node-1',
      'kwok-node-2',
    ]);
    for (const node of nodes.items) {
      const elastic = node.metadata.name.startsWith('kwok-elastic-');
      expect(node.status.allocatable).toMatchObject({ cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '4' });
      expect(node.metadata.labels).toMatchObject({
        type: elastic ? 'virtual-kubelet' : 'kwok',
        'nvidia.com/gpu.present': 'true',
      });
      expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    }
  });

  it('runs a Deployment: pods Running/Ready on kwok nodes, EndpointSlice, garbage collection', async () => {
    const c = cluster();
    await kubeOk(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await waitFor(() => kube(c, 'GET', `${core}/serviceaccounts/default`).then((r) => r.status === 200), {
      what: 'the namespace default service account',
      ...slow,
    });
    await kubeOk(c, 'POST', `${apps}/deployments`, deployment);
    await kubeOk(c, 'POST', `${core}/services`, service);

    // The ReplicaSet controller makes the pods, the scheduler binds them, kwok starts them.
    const pods = await waitFor(
      async () => {
        const list = await kubeOk<KubeList<Pod>>(c, 'GET', `${core}/pods?labelSelector=app%3Decho`);
        return list.items.length === 2 && list.items.every(isReady) && list.items;
      },
      { what: 'two Running/Ready pods', ...slow },
    );
    for (const pod of pods) {
      const node = /^kwok-node-(\d)$/.exec(pod.spec.nodeName ?? '');
      expect(node, pod.spec.nodeName).not.toBeNull();
      // Each node hands out addresses from its own spec.podCIDR (cluster.sh).
      expect(pod.status?.podIP).toMatch(new RegExp(`^198\\.18\\.${node?.[1]}\\.\\d+$`));
      expect(pod.metadata.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    }
    const podIPs = pods.map((p) => p.status?.podIP ?? '').sort();
    expect(new Set(podIPs).size).toBe(2);

    // The EndpointSlice controller lists both as ready endpoints of the Service.
    await waitFor(
      async () => {
        const slices = await kubeOk<KubeList<EndpointSlice>>(
          c,
          'GET',
          `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
        );
        const ready = slices.items
          .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'echo')
          .flatMap((s) => s.endpoints ?? [])
          .filter((e) => e.conditions?.ready)
          .flatMap((e) => e.addresses)
          .sort();
        return JSON.stringify(ready) === JSON.stringify(podIPs);
      },
      { what: `an EndpointSlice with ready endpoints ${podIPs}`, ...slow },
    );

    // A pod's address is local here: a backend binds it and answers on it.
    const backend = http.createServer((_req, res) => res.end('pod backend'));
    await new Promise<void>((resolve, reject) => {
      backend.once('error', reject);
      backend.listen(0, podIPs[0], resolve);
    });
    try {
      const { port } = backend.address() as AddressInfo;
      const res = await fetch(`http://${podIPs[0]}:${port}/`);
      expect(await res.text()).toBe('pod backend');
    } finally {
      await new Promise((resolve) => backend.close(resolve));
    }

    // Deleting the Deployment: the garbage collector removes its ReplicaSet and pods.
    await kubeOk(c, 'DELETE', `${apps}/deployments/echo`, { propagationPolicy: 'Background' });
    await waitFor(
      async () => {
        const [rs, left] = await Promise.all([
          kubeOk<KubeList<unknown>>(c, 'GET', `${apps}/replicasets`),
          kubeOk<KubeList<Pod>>(c, 'GET', `${core}/pods`),
        ]);
        return rs.items.length === 0 && left.items.length === 0;
      },
      { what: 'the ReplicaSet and pods to be garbage-collected', ...slow },
    );

    // The namespace controller empties and removes the namespace.
    await kubeOk(c, 'DELETE', `/api/v1/namespaces/${ns}`);
    await waitFor(() => kube(c, 'GET', `/api/v1/namespaces/${ns}`).then((r) => r.status === 404), {
      what: `namespace ${ns} to be gone`,
      ...slow,
    });
  }, 600_000);
});
