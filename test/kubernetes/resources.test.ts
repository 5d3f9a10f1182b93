/**
 * Services as Kubernetes resources: PierService objects on the real test control
 * plane are the source of truth for `pier server --platform kubernetes`. An object
 * applied as kubectl would makes a service; edits change it; invalid edits are
 * reported with their JSON path; services made through Pier get objects; a fresh
 * Pier rebuilds its store from the objects; deletes go both ways.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { startTestPier, type TestPier } from '../e2e/helpers.js';
import { type Cluster, downCluster, type KubeList, kube, kubeOk, upCluster, waitOnCluster } from './cluster.js';

const ns = 'pier-resources';
const objects = `/apis/pier.dev/v1alpha1/namespaces/${ns}/pierservices`;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface PierServiceObject {
  metadata: {
    name: string;
    generation: number;
    finalizers?: string[];
    annotations?: Record<string, string>;
    uid: string;
  };
  spec: { metadata?: { instance?: number | string } };
  status?: {
    observedGeneration?: number;
    status?: string;
    ready?: string;
    revision?: number;
    endpoint?: string;
    tokenSecret?: string;
    conditions?: Condition[];
  };
}

let dir: string;
let c: Cluster;
let upError: Error | undefined;
let pier: TestPier | undefined;

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

function startPierHere(): Promise<TestPier> {
  return startTestPier({
    platform: {
      kind: 'kubernetes',
      kubeconfig: cluster().kubeconfig,
      namespace: ns,
      defaultImage: 'pier.test/runner:1',
    },
  });
}

function running(): TestPier {
  if (!pier) throw new Error('no Pier running');
  return pier;
}

const object = (name: string) => kubeOk<PierServiceObject>(cluster(), 'GET', `${objects}/${name}`);
const describeService = async (name: string) =>
  (await running().api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
const exists = async (route: string) => (await kube(cluster(), 'GET', route)).status === 200;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-resources-'));
  try {
    c = await upCluster(path.join(dir, 'cluster'));
    await kubeOk(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    pier = await startPierHere();
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

const applied = {
  apiVersion: 'pier.dev/v1alpha1',
  kind: 'PierService',
  metadata: { name: 'applied' },
  spec: {
    name: 'applied',
    metadata: { instance: '2' },
    containers: [{ image: 'pier.test/echo:1', port: 8000 }],
  },
};

/** Server-side apply as `kubectl apply --server-side` does it. */
function apply(body: unknown) {
  return kube(
    cluster(),
    'PATCH',
    `${objects}/${(body as { metadata: { name: string } }).metadata.name}?fieldManager=kubectl&force=true`,
    body,
    'application/apply-patch+yaml',
  );
}

describe('PierService objects', () => {
  it('makes a service from an applied object, with its status and printer columns', async () => {
    cluster();
    const res = await apply(applied);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const desc = await waitOnCluster(
      () => describeService('applied'),
      (d) => d.status === 'Running' && d.instances.ready === 2,
      'the applied service Running',
    );
    const obj = await waitOnCluster(
      () => object('applied'),
      (o) => o.status?.status === 'Running' && o.status.ready === '2/2',
      'the object status Running 2/2',
    );
    expect(obj.status).toMatchObject({ revision: desc.revision, endpoint: desc.endpoint, observedGeneration: 1 });
    expect(obj.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True' });
    expect(obj.metadata.finalizers).toContain('pier.dev/service');
    const secret = await kubeOk<{ data: { token: string } }>(
      cluster(),
      'GET',
      `/api/v1/namespaces/${ns}/secrets/${obj.status?.tokenSecret}`,
    );
    expect(Buffer.from(secret.data.token, 'base64').toString()).toBe(desc.token);

    // `kubectl get pierservices` asks for a Table; the columns come from the CRD.
    const table = await new Promise<{ columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] }>(
      (resolve, reject) => {
        import('node:https').then(({ default: https }) => {
          const req = https.request(
            new URL(objects, cluster().server),
            {
              ca: cluster().ca,
              headers: {
                authorization: `Bearer ${cluster().token}`,
                accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
              },
            },
            (r) => {
              let text = '';
              r.on('data', (d) => {
                text += d;
              });
              r.on('end', () => resolve(JSON.parse(text)));
            },
          );
          req.on('error', reject);
          req.end();
        }, reject);
      },
    );
    const names = table.columnDefinitions.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['Name', 'Status', 'Ready', 'Revision', 'Age']));
    const row = table.rows[0]?.cells ?? [];
    expect(row[names.indexOf('Status')]).toBe('Running');
    expect(row[names.indexOf('Ready')]).toBe('2/2');
  });

  it('changes the service when the object is edited', async () => {
    const res = await apply({ ...applied, spec: { ...applied.spec, metadata: { instance: 3 } } });
    expect(res.status).toBe(200);
    await waitOnCluster(
      () => describeService('applied'),
      (d) => d.desired === 3 && d.instances.ready === 3,
      'three instances after the edit',
    );
    await waitOnCluster(
      () => object('applied'),
      (o) => o.status?.observedGeneration === 2 && o.status.ready === '3/3',
      'the edit observed',
    );
  });

  it('reports an invalid edit with the JSON path and keeps the service as it was', async () => {
    const bad = {
      ...applied,
      spec: {
        ...applied.spec,
        metadata: { instance: 3 },
        containers: [
          {
            image: 'pier.test/echo:1',
            port: 8000,
            liveness_check: { tcp_socket: { port: 8000 }, success_threshold: 2 },
          },
        ],
      },
    };
    expect((await apply(bad)).status).toBe(200);
    const obj = await waitOnCluster(
      () => object('applied'),
      (o) => o.status?.conditions?.some((x) => x.type === 'SpecValid' && x.status === 'False') === true,
      'the invalid edit reported',
    );
    const cond = obj.status?.conditions?.find((x) => x.type === 'SpecValid');
    expect(cond?.message).toContain('containers[0].liveness_check.success_threshold');
    expect(obj.status?.observedGeneration).toBe(2);
    const desc = await describeService('applied');
    expect(desc.status).toBe('Running');
    expect(desc.instances.ready).toBe(3);
    // Fixed again: the object is back to what runs.
    expect((await apply({ ...applied, spec: { ...applied.spec, metadata: { instance: 3 } } })).status).toBe(200);
    await waitOnCluster(
      () => object('applied'),
      (o) => o.status?.conditions?.some((x) => x.type === 'SpecValid' && x.status === 'True') === true,
      'the object valid again',
    );
  });

  it('gives a service made through Pier an object, a token Secret and its revisions', async () => {
    const spec = {
      name: 'made_by_pier',
      metadata: { instance: 1 },
      containers: [{ image: 'pier.test/echo:1', port: 8000 }],
    };
    const created = await running().api<{ service: ServiceDescription }>('POST', '/api/v1/services', spec);
    expect(created.status).toBe(201);
    const list = await waitOnCluster(
      () => kubeOk<KubeList<PierServiceObject>>(cluster(), 'GET', objects),
      (l) => l.items.some((o) => o.metadata.annotations?.['pier.dev/service-name'] === 'made_by_pier'),
      'an object for made_by_pier',
    );
    const obj = list.items.find((o) => o.metadata.annotations?.['pier.dev/service-name'] === 'made_by_pier');
    expect(obj?.metadata.name).toMatch(/^made-by-pier-[0-9a-f]{6}$/);
    const name = obj?.metadata.name ?? '';
    await running().api('PATCH', '/api/v1/services/made_by_pier', { patch: { metadata: { cpu: 2 } } });
    await waitOnCluster(
      () => object(name),
      (o) => (o.spec.metadata as { cpu?: number } | undefined)?.cpu === 2,
      'the object to follow pier modify',
    );
    const revisions = await waitOnCluster(
      () =>
        kubeOk<KubeList<{ metadata: { name: string }; revision: number }>>(
          cluster(),
          'GET',
          `/apis/apps/v1/namespaces/${ns}/controllerrevisions`,
        ),
      (l) => l.items.filter((r) => r.metadata.name.startsWith(`${name}-`)).length === 2,
      'a ControllerRevision per revision',
    );
    expect(
      revisions.items
        .filter((r) => r.metadata.name.startsWith(`${name}-`))
        .map((r) => r.revision)
        .sort(),
    ).toEqual([1, 2]);
  });

  it('rebuilds a fresh Pier from the objects: tokens, revision numbers, and the running pods untouched', async () => {
    const before = {
      applied: await describeService('applied'),
      made_by_pier: await describeService('made_by_pier'),
    };
    const podNames = async () =>
      (await kubeOk<KubeList<{ metadata: { name: string } }>>(cluster(), 'GET', `/api/v1/namespaces/${ns}/pods`)).items
        .map((p) => p.metadata.name)
        .sort();
    const pods = await podNames();
    await running().close();
    pier = undefined;
    pier = await startPierHere(); // a new, empty home
    for (const [name, old] of Object.entries(before)) {
      const d = await waitOnCluster(
        () => describeService(name),
        (x) => x.status === 'Running',
        `${name} imported and Running`,
      );
      expect(d.token).toBe(old.token);
      expect(d.revision).toBe(old.revision);
      expect(d.revisions.map((r) => r.number)).toEqual(old.revisions.map((r) => r.number));
    }
    expect((await describeService('applied')).desired).toBe(3);
    // Same revision numbers, same templates: the Deployments rolled nothing.
    expect(await podNames()).toEqual(pods);
  });

  it('deletes the service when its object is deleted, and the object when the service is', async () => {
    await kubeOk(cluster(), 'DELETE', `${objects}/applied`);
    await waitOnCluster(
      async () => (await running().api('GET', '/api/v1/services/applied')).status,
      (s) => s === 404,
      'the service gone after kubectl delete',
    );
    await waitOnCluster(
      () => exists(`${objects}/applied`),
      (e) => !e,
      'the object released and gone',
    );

    const list = await kubeOk<KubeList<PierServiceObject>>(cluster(), 'GET', objects);
    const name = list.items[0]?.metadata.name ?? '';
    expect((await running().api('DELETE', '/api/v1/services/made_by_pier')).status).toBeLessThan(300);
    await waitOnCluster(
      () => exists(`${objects}/${name}`),
      (e) => !e,
      'the object gone after pier delete',
    );
    await waitOnCluster(
      async () =>
        (await kubeOk<KubeList<unknown>>(cluster(), 'GET', `/api/v1/namespaces/${ns}/secrets`)).items.length +
        (await kubeOk<KubeList<unknown>>(cluster(), 'GET', `/apis/apps/v1/namespaces/${ns}/controllerrevisions`)).items
          .length,
      (n) => n === 0,
      'the token Secrets and ControllerRevisions gone with their objects',
    );
  });
});
