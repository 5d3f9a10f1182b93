/**
 * The install manifests (deploy/kubernetes): every object is valid for its schema,
 * the CRD is the one the code installs, and the apiserver accepts them all
 * (server-side apply, strict). Then a Pier runs with nothing but the manifests'
 * ServiceAccount, Role and ClusterRole, and serves a service end to end: what the
 * code calls is allowed by the RBAC the manifests grant.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { pierServiceCrd } from '../../src/platform/kubernetes/resources/crd.js';
import { startGatewayOnly } from '../../src/server.js';
import { startTestPier, type TestPier } from '../e2e/helpers.js';
import { validateKubeObject } from '../support/kubernetes-schema.js';
import { type Cluster, downCluster, type KubeList, kube, kubeOk, upCluster, waitOnCluster } from './cluster.js';
import { manifestPath, manifests, serviceAccountKubeconfig } from './manifests.js';

const ns = 'pier-system';

let dir: string;
let c: Cluster;
let upError: Error | undefined;
let pier: TestPier | undefined;

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-deploy-'));
  try {
    c = await upCluster(path.join(dir, 'cluster'));
  } catch (err) {
    upError = err as Error;
  }
}, 600_000);

afterAll(async () => {
  await pier?.close();
  if (dir) {
    await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

describe('deploy/kubernetes', () => {
  it('holds valid objects, the CRD the code installs, and a namespace on every namespaced one', () => {
    const docs = manifests();
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'Deployment',
      'Deployment',
      'Namespace',
      'PodDisruptionBudget',
      'PodDisruptionBudget',
      'Role',
      'Role',
      'RoleBinding',
      'RoleBinding',
      'Service',
      'Service',
      'ServiceAccount',
      'ServiceAccount',
    ]);
    for (const d of docs) validateKubeObject(d);
    expect(docs.find((d) => d.kind === 'CustomResourceDefinition')).toEqual(pierServiceCrd());
    const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'];
    for (const d of docs) {
      if (!clusterScoped.includes(d.kind)) expect(d.metadata.namespace, `${d.kind} ${d.metadata.name}`).toBe(ns);
    }
  });

  it('is accepted by the apiserver, strictly', async () => {
    for (const d of manifests()) {
      const res = await kube(
        cluster(),
        'PATCH',
        `${manifestPath(d)}?fieldManager=kubectl&force=true&fieldValidation=Strict`,
        d,
        'application/apply-patch+yaml',
      );
      expect(res.status, `${d.kind} ${d.metadata.name}: ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(300);
    }
  });

  it('lets a Pier and a gateway with only their ServiceAccounts run a service end to end', async () => {
    const kubeconfig = await serviceAccountKubeconfig(cluster(), dir, ns, 'pier');
    // The CRD is installed by the manifests: Pier, without cluster-wide rights, uses it.
    pier = await startTestPier({
      platform: {
        kind: 'kubernetes',
        kubeconfig,
        namespace: ns,
        defaultImage: 'pier.test/runner:1',
        leaderElection: { lease: 'pier-control-plane', identity: 'deploy-test', onLost: () => undefined },
      },
    });
    const spec = {
      name: 'rbac',
      metadata: { instance: 2, burst_resource: 'eci' },
      containers: [{ image: 'pier.test/echo:1', port: 8000 }],
    };
    expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
    await waitOnCluster(
      async () => (await running().api<ServiceDescription>('GET', '/api/v1/services/rbac')).body,
      (d) => d.status === 'Running' && d.instances.ready === 2,
      'the service Running under the manifests RBAC',
    );
    await waitOnCluster(
      () =>
        kubeOk<{ status?: { status?: string } }>(
          cluster(),
          'GET',
          `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices/rbac`,
        ),
      (o) => o.status?.status === 'Running',
      'its PierService status written',
    );
    // The gateway's account reads the service, its token and its endpoints.
    const gw = await startGatewayOnly({
      controlUrl: 'http://127.0.0.1:9',
      adminToken: 'deploy-test-admin-token',
      host: '127.0.0.1',
      port: 0,
      logLevel: 'warn',
      kubernetes: { kubeconfig: await serviceAccountKubeconfig(cluster(), dir, ns, 'pier-gateway'), namespace: ns },
    });
    try {
      const serviceToken = (await running().api<ServiceDescription>('GET', '/api/v1/services/rbac')).body.token;
      const call = (auth: string) =>
        fetch(`${gw.url}/api/predict/rbac`, { method: 'POST', headers: { authorization: auth }, body: 'x' });
      // No backend listens at the pods' addresses here: a service the gateway knows, with
      // its token, gets past auth to the upstream (5xx); an unknown one would be 404.
      await waitOnCluster(
        async () => (await call(serviceToken)).status,
        (s) => s >= 500,
        'the gateway to route rbac',
      );
      expect((await call('wrong-token')).status).toBe(401);
    } finally {
      await gw.close();
    }
    expect((await running().api('POST', '/api/v1/services/rbac/scale', { instances: 3 })).status).toBe(200);
    await waitOnCluster(
      () =>
        kubeOk<{ spec: { replicas: number } }>(
          cluster(),
          'GET',
          `/apis/apps/v1/namespaces/${ns}/deployments/rbac/scale`,
        ),
      (s) => s.spec.replicas === 3,
      'the scale subresource written',
    );
    expect((await running().api('DELETE', '/api/v1/services/rbac')).status).toBe(200);
    await waitOnCluster(
      async () =>
        (await kubeOk<KubeList<unknown>>(cluster(), 'GET', `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices`))
          .items.length +
        (
          await kubeOk<KubeList<{ metadata: { name: string } }>>(
            cluster(),
            'GET',
            `/apis/apps/v1/namespaces/${ns}/deployments`,
          )
        ).items.filter((d) => d.metadata.name === 'rbac').length,
      (n) => n === 0,
      'the service and its objects gone',
    );
  });
});

function running(): TestPier {
  if (!pier) throw new Error('no Pier running');
  return pier;
}
