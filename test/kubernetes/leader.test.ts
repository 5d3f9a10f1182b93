/**
 * Two `pier server --platform kubernetes --leader-elect` replicas on the real test
 * control plane: only the Lease holder runs (the other waits, with no API), and when
 * the leader is killed with kill -9 the standby takes over, rebuilds its empty store
 * from the PierService objects and leaves the running pods as they are.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { callApi, freePort, type PierChild, runCli, startPierProcess } from '../e2e/helpers.js';
import { type Cluster, downCluster, type KubeList, kubeOk, upCluster, waitOnCluster } from './cluster.js';

const ns = 'pier-ha';
const adminToken = 'k8s-ha-admin-token-0123456789abcdef';

interface Replica {
  name: string;
  home: string;
  controlPort: number;
  gatewayPort: number;
  child?: PierChild;
}

let dir: string;
let c: Cluster;
let upError: Error | undefined;
const replicas: Replica[] = [];

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

const args = () => [
  '--platform',
  'kubernetes',
  '--kubeconfig',
  cluster().kubeconfig,
  '--namespace',
  ns,
  '--leader-elect',
  '--log-level',
  'info',
  '--default-image',
  'pier.test/runner:1',
];

/** Starts a replica without waiting for its API (a standby has none). */
function spawnReplica(r: Replica): void {
  void startPierProcess(r.home, r.controlPort, r.gatewayPort, adminToken, args(), { waitForApi: false }).then(
    (child) => {
      r.child = child;
    },
  );
}

const api = <T>(r: Replica, method: string, route: string, body?: unknown) =>
  callApi<T>(`http://127.0.0.1:${r.controlPort}`, adminToken, method, route, body);
const answers = async (r: Replica) => {
  try {
    return (await fetch(`http://127.0.0.1:${r.controlPort}/healthz`)).ok;
  } catch {
    return false;
  }
};
interface Lease {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}
const lease = () =>
  kubeOk<Lease>(cluster(), 'GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/pier-control-plane`);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-ha-'));
  try {
    c = await upCluster(path.join(dir, 'cluster'));
    await kubeOk(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const name of ['a', 'b']) {
      replicas.push({ name, home: path.join(dir, name), controlPort: await freePort(), gatewayPort: await freePort() });
    }
  } catch (err) {
    upError = err as Error;
  }
}, 600_000);

afterAll(async () => {
  for (const r of replicas) r.child?.child.kill('SIGKILL');
  if (dir) {
    await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

describe('leader election', () => {
  it('runs only the Lease holder; the standby waits without an API', async () => {
    const [a, b] = replicas as [Replica, Replica];
    spawnReplica(a);
    await waitOnCluster(
      async () => ({ ok: await answers(a), out: a.child?.output().slice(-600) }),
      (x) => x.ok,
      'the first replica to lead and answer',
    );
    const spec = path.join(dir, 'ha.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'ha',
        metadata: { instance: 2 },
        containers: [{ image: 'pier.test/echo:1', port: 8000 }],
      }),
    );
    const created = await runCli(['create', spec], {
      PIER_CONTROL_URL: `http://127.0.0.1:${a.controlPort}`,
      PIER_ADMIN_TOKEN: adminToken,
    });
    expect(created.code, created.stderr).toBe(0);

    spawnReplica(b);
    await waitOnCluster(
      async () => b.child?.output() ?? '',
      (out) => out.includes('waiting for the lease'),
      'the second replica to wait for the lease',
    );
    // It had the chance: its leader elector has read the Lease and logged that another leads.
    await waitOnCluster(
      async () => b.child?.output() ?? '',
      (out) => out.includes('another Pier leads'),
      'the standby to see the leader',
    );
    expect(await answers(b)).toBe(false);
    expect((await lease()).spec.holderIdentity).toContain(`-${a.child?.child.pid}`);
  });

  it('moves to the standby when the leader dies, with nothing lost, duplicated or rolled', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const before = (await api<ServiceDescription>(a, 'GET', '/api/v1/services/ha')).body;
    const pods = async () =>
      (await kubeOk<KubeList<{ metadata: { name: string } }>>(cluster(), 'GET', `/api/v1/namespaces/${ns}/pods`)).items
        .map((p) => p.metadata.name)
        .sort();
    const podsBefore = await pods();
    const transitions = (await lease()).spec.leaseTransitions ?? 0;
    a.child?.child.kill('SIGKILL');
    const started = Date.now();
    await waitOnCluster(
      () => answers(b),
      (ok) => ok,
      'the standby to take over and answer',
    );
    console.log(`standby answered ${((Date.now() - started) / 1000).toFixed(1)} s after the leader's kill -9`);
    const l = await lease();
    expect(l.spec.holderIdentity).toContain(`-${b.child?.child.pid}`);
    expect(l.spec.leaseTransitions).toBe(transitions + 1);
    const after = await waitOnCluster(
      async () => (await api<ServiceDescription>(b, 'GET', '/api/v1/services/ha')).body,
      (d) => d.status === 'Running',
      'ha Running under the new leader',
    );
    expect(after.token).toBe(before.token);
    expect(after.revision).toBe(before.revision);
    expect(await pods()).toEqual(podsBefore);
    const deployments = await kubeOk<KubeList<{ metadata: { name: string } }>>(
      cluster(),
      'GET',
      `/apis/apps/v1/namespaces/${ns}/deployments`,
    );
    expect(deployments.items.map((d) => d.metadata.name)).toEqual(['ha']);
    const objects = await kubeOk<KubeList<{ metadata: { name: string } }>>(
      cluster(),
      'GET',
      `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices`,
    );
    expect(objects.items.map((o) => o.metadata.name)).toEqual(['ha']);
  });
});
