/**
 * metadata.burst_resource on the real test control plane: three base nodes of 8
 * cores and two tainted elastic nodes (cluster.sh). An `eci` service of 8-core pods
 * fills the base pool, its overflow lands on the elastic nodes, and a scale-in
 * removes the elastic pods first; `eci_only` runs on elastic nodes alone; `none`
 * never goes there.
 */

import { describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src/api/index.js';
import { type KubeList, kubeOk, type Pod, waitOnCluster } from './cluster.js';
import { onCluster } from './fixture.js';

const ns = 'pier-burst';

const { cluster, pier: running } = onCluster(ns);

const spec = (name: string, burst: string, instance: number, cpu: number) => ({
  name,
  metadata: { instance, cpu, burst_resource: burst },
  containers: [{ image: 'pier.test/echo:1', port: 8000 }],
});

/** Running pods of a service by node: base or elastic. */
async function placement(name: string) {
  const pods = (
    await kubeOk<KubeList<Pod & { metadata: { annotations?: Record<string, string> } }>>(
      cluster(),
      'GET',
      `/api/v1/namespaces/${ns}/pods?labelSelector=pier.dev%2Fservice%3D${name}`,
    )
  ).items.filter((p) => !('deletionTimestamp' in p.metadata));
  const on = (prefix: string) => pods.filter((p) => p.spec.nodeName?.startsWith(prefix));
  return {
    base: on('kwok-node-'),
    elastic: on('kwok-elastic-'),
    pending: pods.filter((p) => !p.spec.nodeName),
    ready: pods.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length,
  };
}

const scale = (name: string, n: number) => running().api('POST', `/api/v1/services/${name}/scale`, { instances: n });

describe('burst_resource', () => {
  it('eci: fills the base pool first, then overflows onto elastic nodes', async () => {
    expect((await running().api('POST', '/api/v1/services', spec('bursty', 'eci', 3, 8))).status).toBe(201);
    const first = await waitOnCluster(
      () => placement('bursty'),
      (p) => p.base.length === 3 && p.ready === 3,
      'three pods on the three base nodes',
    );
    expect(first.elastic).toHaveLength(0);

    expect((await scale('bursty', 5)).status).toBe(200);
    const burst = await waitOnCluster(
      () => placement('bursty'),
      (p) => p.base.length === 3 && p.elastic.length === 2 && p.ready === 5,
      'the two extra pods on the elastic nodes',
    );
    expect(burst.elastic.map((x) => x.spec.nodeName).sort()).toEqual(['kwok-elastic-0', 'kwok-elastic-1']);
    await waitOnCluster(
      async () => (await running().api<{ reason: string }[]>('GET', '/api/v1/services/bursty/events')).body,
      (events) => events.filter((e) => e.reason === 'BurstToElastic').length >= 2,
      'a BurstToElastic event per overflowing pod',
    );
    const instances = (await running().api<InstanceView[]>('GET', '/api/v1/services/bursty/instances')).body;
    expect(
      instances.filter((i) => i.platform?.kind === 'kubernetes' && i.platform.node?.startsWith('kwok-elastic-')),
    ).toHaveLength(2);
  });

  it('eci: a scale-in removes the elastic pods first', async () => {
    await waitOnCluster(
      async () => {
        const p = await placement('bursty');
        return p.elastic.every(
          (x) => x.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] === '-100',
        );
      },
      (marked) => marked,
      'the elastic pods marked cheap to delete',
    );
    expect((await scale('bursty', 3)).status).toBe(200);
    const after = await waitOnCluster(
      () => placement('bursty'),
      (p) => p.elastic.length === 0 && p.base.length === 3,
      'only the base pods left',
    );
    expect(after.ready).toBe(3);
  });

  it('none: a pod that does not fit the full base pool stays pending, never on an elastic node', async () => {
    expect((await running().api('POST', '/api/v1/services', spec('steady', 'none', 1, 8))).status).toBe(201);
    const p = await waitOnCluster(
      async () => (await running().api<InstanceView[]>('GET', '/api/v1/services/steady/instances')).body,
      (v) => v.length === 1 && v[0]?.reason === 'Unschedulable',
      'the pod unschedulable',
    );
    expect(p[0]?.state).toBe('Pending');
    expect((await placement('steady')).elastic).toHaveLength(0);
    expect((await running().api('DELETE', '/api/v1/services/steady')).status).toBe(200);
  });

  it('eci_only: every pod runs on elastic nodes', async () => {
    expect((await running().api('POST', '/api/v1/services', spec('elastic_only', 'eci_only', 2, 1))).status).toBe(201);
    type Deployments = KubeList<{ metadata: { name: string; annotations?: Record<string, string> } }>;
    const deployments = await waitOnCluster(
      () => kubeOk<Deployments>(cluster(), 'GET', `/apis/apps/v1/namespaces/${ns}/deployments`),
      (l) => l.items.some((d) => d.metadata.annotations?.['pier.dev/service-name'] === 'elastic_only'),
      'the Deployment of elastic_only',
    );
    const name = deployments.items.find((d) => d.metadata.annotations?.['pier.dev/service-name'] === 'elastic_only')
      ?.metadata.name;
    const p = await waitOnCluster(
      () => placement(name ?? ''),
      (x) => x.elastic.length === 2 && x.ready === 2,
      'two pods on elastic nodes',
    );
    expect(p.base).toHaveLength(0);
  });
});
