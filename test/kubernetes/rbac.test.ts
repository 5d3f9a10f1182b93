/**
 * The manifests' RBAC is exactly what the code uses. The apiserver writes an audit
 * log (level Metadata) of every request of the pier-system ServiceAccounts; a Pier
 * control plane and a `pier gateway --kubernetes`, each with nothing but its
 * account's token, go through everything they do (leader election, create with a
 * pull secret, bursting onto elastic nodes, modify, scale, restart of one instance,
 * status, logs, events, an object made with kubectl, a rebuild of an empty store,
 * delete, gateway routing and its watches). Then each account's (apiGroup,
 * resource[/subresource], verb) set from the log is compared with its Roles in
 * deploy/kubernetes: no permission unused, none missing, nothing refused but the
 * one refusal the code expects.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { startGatewayOnly } from '../../src/server.js';
import { startTestPier, type TestPier } from '../e2e/helpers.js';
import { compare, granted, permission, usageByUser } from '../support/rbac.js';
import { manifestPath, manifests, rulesOf, SETUP_KINDS, serviceAccountKubeconfig } from './manifests.js';
import { type Cluster, downCluster, type KubeList, kube, kubeOk, upCluster, waitOnCluster } from './cluster.js';

const ns = 'pier-system';
const pierUser = `system:serviceaccount:${ns}:pier`;
const gatewayUser = `system:serviceaccount:${ns}:pier-gateway`;

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts:${ns}"]
  - level: None
`;

/**
 * Permissions the Roles grant that this test cannot make the code use. Each needs
 * its reason; keep the list short.
 */
const UNREACHED: Record<string, string[]> = {
  [pierUser]: [],
  [gatewayUser]: [],
};

/** Refusals the code expects and handles. */
const EXPECTED_FORBIDDEN: Record<string, string[]> = {
  // The mirror first tries to install the CRD itself and, refused (no cluster-wide
  // rights), expects it installed by the manifests (resources/mirror.ts installCrd).
  [pierUser]: [permission('apiextensions.k8s.io', 'customresourcedefinitions', 'patch')],
  [gatewayUser]: [],
};

let dir: string;
let c: Cluster;
let upError: Error | undefined;
let pier: TestPier | undefined;
let gateway: { url: string; close(): Promise<void> } | undefined;
/** The service token the first Pier made, which the rebuilt one must read back from its Secret. */
let token = '';

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

function running(): TestPier {
  if (!pier) throw new Error('no Pier running');
  return pier;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-rbac-'));
  try {
    c = await upCluster(path.join(dir, 'cluster'), { auditPolicy: AUDIT_POLICY });
  } catch (err) {
    upError = err as Error;
  }
}, 600_000);

afterAll(async () => {
  await gateway?.close();
  await pier?.close();
  if (dir) {
    await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

function startPier(kubeconfig: string): Promise<TestPier> {
  return startTestPier({
    platform: {
      kind: 'kubernetes',
      kubeconfig,
      namespace: ns,
      defaultImage: 'pier.test/runner:1',
      leaderElection: { lease: 'pier-control-plane', identity: 'rbac-test', onLost: () => undefined },
    },
  });
}

const describeService = async (name: string) =>
  (await running().api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;

async function untilRunning(name: string, ready: number, what: string): Promise<void> {
  try {
    await waitOnCluster(
      () => describeService(name),
      (d) => d.status === 'Running' && d.instances.ready === ready,
      what,
    );
  } catch (err) {
    // What the cluster holds, to tell a Pier that misreads from pods that really wait.
    const pods = await kubeOk<KubeList<{ metadata: { name: string }; status?: unknown }>>(
      cluster(),
      'GET',
      `/api/v1/namespaces/${ns}/pods`,
    );
    const summary = pods.items.map((p) => ({ name: p.metadata.name, status: p.status }));
    const nodes = await kubeOk<KubeList<{ metadata: { name: string }; status: { conditions?: unknown[] } }>>(
      cluster(),
      'GET',
      '/api/v1/nodes',
    );
    const ready = nodes.items.map((n) => [n.metadata.name, JSON.stringify(n.status.conditions)]);
    throw new Error(
      `${(err as Error).message}\npods: ${JSON.stringify(summary).slice(0, 3000)}\nnodes: ${JSON.stringify(ready).slice(0, 3000)}`,
    );
  }
}

interface PierServiceObject {
  metadata: { generation: number };
  spec: { containers: { env?: { name: string; value: string }[] }[] };
  status?: { observedGeneration?: number; revision?: number };
}

const objectPath = (name: string) => `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices/${name}`;

describe('the RBAC of deploy/kubernetes', () => {
  it('installs the namespace, the CRD and the accounts (as an admin)', async () => {
    for (const d of manifests().filter((m) => SETUP_KINDS.includes(m.kind))) {
      const res = await kube(
        cluster(),
        'PATCH',
        `${manifestPath(d)}?fieldManager=kubectl&force=true`,
        d,
        'application/apply-patch+yaml',
      );
      expect(res.status, `${d.kind} ${d.metadata.name}`).toBeLessThan(300);
    }
    await waitOnCluster(
      async () => (await kube(cluster(), 'GET', `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices`)).status,
      (s) => s === 200,
      'PierServices served',
    );
  });

  it('runs the control plane through everything it does', async () => {
    const kubeconfig = await serviceAccountKubeconfig(cluster(), dir, ns, 'pier');
    pier = await startPier(kubeconfig);
    // Leader election: the Lease made, then renewed (an update).
    await waitOnCluster(
      () =>
        kubeOk<{ spec: { acquireTime?: string; renewTime?: string } }>(
          cluster(),
          'GET',
          `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/pier-control-plane`,
        ),
      (l) => l.spec.renewTime !== undefined && l.spec.renewTime !== l.spec.acquireTime,
      'the Lease renewed',
    );
    // Bursting: 8-core pods fill the three base nodes; the fourth is let onto an elastic node (a pod patch).
    const bursty = {
      name: 'bursty',
      metadata: { instance: 4, cpu: 8, burst_resource: 'eci' },
      containers: [{ image: 'pier.test/echo:1', port: 8000 }],
    };
    expect((await running().api('POST', '/api/v1/services', bursty)).status).toBe(201);
    await untilRunning('bursty', 4, 'bursty Running, one instance on an elastic node');
    expect((await running().api('DELETE', '/api/v1/services/bursty')).status).toBe(200);
    await waitOnCluster(
      async () =>
        (
          await kubeOk<KubeList<unknown>>(
            cluster(),
            'GET',
            `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('pier.dev/service=bursty')}`,
          )
        ).items.length,
      (n) => n === 0,
      'the bursty pods gone',
    );
    // A service with a pull secret (dockerAuth).
    const spec = {
      name: 'audited',
      metadata: { instance: 2, cpu: 1 },
      dockerAuth: Buffer.from('user:password').toString('base64'),
      containers: [{ image: 'pier.test/echo:1', port: 8000 }],
    };
    expect((await running().api('POST', '/api/v1/services', spec)).status).toBe(201);
    // Modify (a new revision) at once, with no wait for the mirror to see the object it
    // writes: the modify is written to the object, not undone by it. Then scale, restart of one instance.
    const modified = { ...spec, containers: [{ ...spec.containers[0], env: [{ name: 'MODE', value: 'audit' }] }] };
    expect((await running().api('PATCH', '/api/v1/services/audited', { replace: modified })).status).toBe(200);
    await waitOnCluster(
      () => describeService('audited'),
      (d) => d.revision === 2 && d.status === 'Running' && d.instances.ready === 2,
      'revision 2 rolled out',
    );
    const object = await waitOnCluster(
      () => kubeOk<PierServiceObject>(cluster(), 'GET', objectPath('audited')),
      (o) => o.status?.observedGeneration === o.metadata.generation && o.status?.revision === 2,
      'the PierService status at revision 2',
    );
    expect(object.spec.containers[0]?.env).toEqual([{ name: 'MODE', value: 'audit' }]);
    const current = await describeService('audited');
    expect([current.revision, current.revisions.length]).toEqual([2, 2]);
    expect((await running().api('POST', '/api/v1/services/audited/scale', { instances: 3 })).status).toBe(200);
    await untilRunning('audited', 3, 'audited scaled to 3');
    const instances = (await running().api<InstanceView[]>('GET', '/api/v1/services/audited/instances')).body;
    const pod = instances[0]?.id ?? '';
    expect((await running().api('POST', '/api/v1/services/audited/restart', { instance: pod })).status).toBe(200);
    await waitOnCluster(
      async () => (await running().api<InstanceView[]>('GET', '/api/v1/services/audited/instances')).body,
      (list) => list.length === 3 && !list.some((i) => i.id === pod) && list.every((i) => i.ready),
      'the restarted instance replaced',
    );
    // Status, events and logs (no kwok Logs object: the kubelet answers 400, after RBAC allowed the read).
    expect((await running().api('GET', '/api/v1/services/audited')).status).toBe(200);
    expect((await running().api('GET', '/api/v1/services/audited/events')).status).toBe(200);
    await running().api('GET', `/api/v1/services/audited/logs?instance=${instances[1]?.id}&tail=5`);
    // An object made with kubectl becomes a service, and its delete goes through the finalizer.
    const fromKubectl = {
      apiVersion: 'pier.dev/v1alpha1',
      kind: 'PierService',
      metadata: { name: 'from-kubectl', namespace: ns },
      spec: {
        name: 'from_kubectl',
        metadata: { instance: 1 },
        containers: [{ image: 'pier.test/echo:1', port: 8000 }],
      },
    };
    expect(
      (
        await kube(
          cluster(),
          'PATCH',
          `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices/from-kubectl?fieldManager=kubectl`,
          fromKubectl,
          'application/apply-patch+yaml',
        )
      ).status,
    ).toBeLessThan(300);
    await untilRunning('from_kubectl', 1, 'the kubectl object served');
    await kubeOk(cluster(), 'DELETE', `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices/from-kubectl`);
    await waitOnCluster(
      async () => (await running().api('GET', '/api/v1/services/from_kubectl')).status,
      (s) => s === 404,
      'the kubectl object deleted through the finalizer',
    );
  });

  it('runs the gateway with its own account', async () => {
    gateway = await startGatewayOnly({
      controlUrl: 'http://127.0.0.1:9',
      adminToken: 'rbac-test-admin-token',
      host: '127.0.0.1',
      port: 0,
      logLevel: 'warn',
      kubernetes: { kubeconfig: await serviceAccountKubeconfig(cluster(), dir, ns, 'pier-gateway'), namespace: ns },
    });
    token = (await describeService('audited')).token;
    const url = `${gateway.url}/api/predict/audited`;
    // No backend listens at the pods' addresses: a routed service with its token gets past auth (5xx).
    await waitOnCluster(
      async () => (await fetch(url, { method: 'POST', headers: { authorization: token }, body: 'x' })).status,
      (s) => s >= 500,
      'the gateway to route audited',
    );
    await gateway.close();
    gateway = undefined;
  });

  it('rebuilds an empty store from the objects, then deletes', async () => {
    await running().close();
    pier = undefined;
    pier = await startPier(await serviceAccountKubeconfig(cluster(), dir, ns, 'pier'));
    // Rebuilt: the revision from the object's status, the older ones from ControllerRevisions, the token from its Secret.
    const rebuilt = await waitOnCluster(
      () => running().api<ServiceDescription>('GET', '/api/v1/services/audited'),
      (r) => r.status === 200 && r.body.revisions.length === 2,
      'audited rebuilt from its object',
    );
    expect(rebuilt.body.revision).toBe(2);
    expect(rebuilt.body.token).toBe(token);
    // Deleted at once, before a pass has seen the rebuilt service with its object: it stays deleted.
    expect((await running().api('DELETE', '/api/v1/services/audited')).status).toBe(200);
    await waitOnCluster(
      async () =>
        (
          await kubeOk<KubeList<{ metadata: unknown; status?: unknown }>>(
            cluster(),
            'GET',
            `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices`,
          )
        ).items.map((o) => ({ metadata: o.metadata, status: o.status })),
      (left) => left.length === 0,
      'every PierService gone',
    );
    expect((await running().api('GET', '/api/v1/services/audited')).status).toBe(404);
    await running().close();
    pier = undefined;
  });

  // usageByUser counts "create" for a server-side apply answered 201: the audit log
  // shows only the PATCH, but the apiserver also authorizes create when the apply makes the object.
  it('needs create for a server-side apply that makes an object', async () => {
    const account = 'apply-probe';
    await kubeOk(cluster(), 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: account } });
    const role = (verbs: string[]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: account, namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs }],
    });
    const roles = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`;
    await kubeOk(cluster(), 'POST', roles, role(['patch']));
    await kubeOk(cluster(), 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      metadata: { name: account },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace: ns }],
    });
    const { status } = await kubeOk<{ status: { token: string } }>(
      cluster(),
      'POST',
      `/api/v1/namespaces/${ns}/serviceaccounts/${account}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    );
    const asProbe = { ...cluster(), token: status.token };
    const apply = () =>
      kube<{ message?: string }>(
        asProbe,
        'PATCH',
        `/api/v1/namespaces/${ns}/configmaps/probe?fieldManager=probe`,
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' } },
        'application/apply-patch+yaml',
      );
    const refused = await apply();
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('cannot create resource "configmaps"');
    await kubeOk(cluster(), 'PUT', `${roles}/${account}`, role(['patch', 'create']));
    await waitOnCluster(
      async () => (await apply()).status,
      (s) => s === 201,
      'the apply allowed with create',
    );
  });

  it.each([
    ['pier', pierUser],
    ['pier-gateway', gatewayUser],
  ])('grants %s exactly what it used', (account, user) => {
    const lines = readFileSync(path.join(cluster().dir, 'logs/audit.log'), 'utf8').split('\n');
    const { rules, roles } = rulesOf(ns, account);
    const usage = usageByUser(lines, { [user]: roles }).get(user);
    expect(usage, `no audit events of ${user}`).toBeDefined();
    if (!usage) return;
    const result = compare(granted(rules), usage, {
      unreached: UNREACHED[user] ?? [],
      expectedForbidden: EXPECTED_FORBIDDEN[user] ?? [],
    });
    console.log(`${account} used:\n  ${[...usage.used].sort().join('\n  ')}`);
    expect(result).toEqual({ unused: [], missing: [], forbidden: [] });
  });
});
