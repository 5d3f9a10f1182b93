/**
 * The translator's objects on the real test control plane (cluster.sh): every
 * fixture's objects pass a server-side dry-run apply with strict field validation,
 * and one service is applied for real: the Deployment controller makes its pods,
 * kwok runs them, and the EndpointSlice controller lists them on the named port.
 *   bash test/kubernetes/netns.sh npx vitest run --config test/kubernetes/vitest.config.ts test/kubernetes/translate.test.ts
 * It fails (never skips) when the binaries are missing, naming build.sh.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  desiredFromSpec,
  type KubeObject,
  LABELS,
  translateService,
} from '../../src/platform/kubernetes/translate/index.js';
import { loadSpecText } from '../../src/spec/index.js';
import { FIXTURE_CONFIG, fixtureCases } from '../support/kubernetes-fixtures.js';
import { waitFor } from '../support/wait.js';
import {
  type Cluster,
  type EndpointSlice,
  type KubeList,
  type Pod,
  downCluster,
  kube,
  kubeOk,
  upCluster,
} from './cluster.js';

const slow = { timeoutMs: 120_000, intervalMs: 250 };

let dir: string;
let c: Cluster;
let upError: Error | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-translate-'));
  try {
    c = await upCluster(dir);
  } catch (err) {
    upError = err as Error;
  }
}, 600_000);

afterAll(async () => {
  if (!dir) return;
  await downCluster(dir);
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

const RESOURCES: Record<string, string> = {
  'apps/v1/Deployment': 'deployments',
  'v1/Service': 'services',
  'v1/Secret': 'secrets',
};

function objectPath(o: KubeObject): string {
  const plural = RESOURCES[`${o.apiVersion}/${o.kind}`];
  if (!plural) throw new Error(`no resource for ${o.apiVersion} ${o.kind}`);
  const group = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  return `${group}/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}`;
}

/** Server-side apply, as the Kubernetes platform does it; `dryRun` stores nothing. */
function apply(o: KubeObject, dryRun: boolean) {
  const query = `fieldManager=pier&fieldValidation=Strict${dryRun ? '&dryRun=All' : ''}`;
  // JSON is YAML, so the apply patch can be the object as JSON.
  return kube<{ metadata?: { uid?: string } }>(
    cluster(),
    'PATCH',
    `${objectPath(o)}?${query}`,
    o,
    'application/apply-patch+yaml',
  );
}

async function createNamespace(name: string) {
  await kubeOk(cluster(), 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await waitFor(
    () => kube(cluster(), 'GET', `/api/v1/namespaces/${name}/serviceaccounts/default`).then((r) => r.status === 200),
    { what: `the default service account of ${name}`, ...slow },
  );
}

const isReady = (pod: Pod) =>
  pod.status?.phase === 'Running' &&
  pod.status.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True');

describe('translated objects on the test control plane', () => {
  it('passes a strict server-side dry-run apply for every fixture', async () => {
    await createNamespace(FIXTURE_CONFIG.namespace);
    const cases = fixtureCases();
    const refused: string[] = [];
    let applied = 0;
    for (const fixture of cases) {
      for (const o of fixture.objects) {
        const res = await apply(o, true);
        applied++;
        if (res.status !== 200 && res.status !== 201)
          refused.push(`${fixture.name} ${o.kind}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
      }
    }
    expect(refused).toEqual([]);
    expect(applied).toBeGreaterThanOrEqual(cases.length * 2);
    // The same apply refuses a field the API does not have, so the check above has teeth.
    const first = structuredClone(cases[0]?.objects[0]) as KubeObject;
    (first.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0] = {
      ...(first.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0],
      livenessProbes: {},
    };
    const strict = await apply(first, true);
    // (Server-side apply answers 500 for a patch it cannot type, with the field in the message.)
    expect(strict.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(strict.body)).toContain('livenessProbes: field not declared in schema');
    // A dry run stores nothing.
    const deployments = await kubeOk<KubeList<unknown>>(
      cluster(),
      'GET',
      `/apis/apps/v1/namespaces/${FIXTURE_CONFIG.namespace}/deployments`,
    );
    expect(deployments.items).toEqual([]);
  });

  it('runs a service: pods Running/Ready, an EndpointSlice on the named port, owned objects collected', async () => {
    const ns = 'pier-run';
    await createNamespace(ns);
    const loaded = loadSpecText(
      JSON.stringify({
        name: 'Run_Me',
        metadata: { instance: 3, cpu: 1, memory: 512, gpu: 1, rolling_strategy: { max_surge: 1, max_unavailable: 0 } },
        containers: [
          {
            image: 'registry.example.com/team/model:1',
            command: 'python3 app.py',
            port: 8000,
            readiness_check: { http_get: { path: '/health', port: 8000 } },
            liveness_check: { tcp_socket: { port: 8000 }, period_seconds: 5 },
          },
        ],
        dockerAuth: 'dXNlcjpwYXNz',
      }),
    );
    if (!loaded.spec) throw new Error(JSON.stringify(loaded.errors));
    const config = { ...FIXTURE_CONFIG, namespace: ns };
    const desired = desiredFromSpec(loaded.spec, config);

    // The Deployment first; the Service and Secret then name it as their owner.
    const [deployment] = translateService({ desired, config });
    const created = await apply(deployment as KubeObject, false);
    expect(created.status, JSON.stringify(created.body).slice(0, 400)).toBe(201);
    const uid = created.body.metadata?.uid;
    expect(uid).toBeTruthy();
    const objects = translateService({ desired, config, ...(uid ? { ownerUid: uid } : {}) });
    expect(objects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'Secret']);
    for (const o of objects) {
      const res = await apply(o, false);
      expect([200, 201], `${o.kind}: ${JSON.stringify(res.body).slice(0, 400)}`).toContain(res.status);
    }
    const name = deployment?.metadata.name as string;
    const selector = encodeURIComponent(`${LABELS.service}=${name}`);

    const pods = await waitFor(
      async () => {
        const list = await kubeOk<KubeList<Pod>>(
          cluster(),
          'GET',
          `/api/v1/namespaces/${ns}/pods?labelSelector=${selector}`,
        );
        return list.items.length === 3 && list.items.every(isReady) && list.items;
      },
      { what: 'three Running/Ready pods', ...slow },
    );
    for (const pod of pods) expect(pod.metadata.labels?.[LABELS.revision]).toBe('1');
    const podIPs = pods.map((p) => p.status?.podIP ?? '').sort();

    const slice = await waitFor(
      async () => {
        const slices = await kubeOk<KubeList<EndpointSlice & { ports?: { name?: string; port?: number }[] }>>(
          cluster(),
          'GET',
          `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${name}`)}`,
        );
        const s = slices.items[0];
        const ready = (s?.endpoints ?? [])
          .filter((e) => e.conditions?.ready)
          .flatMap((e) => e.addresses)
          .sort();
        return JSON.stringify(ready) === JSON.stringify(podIPs) && s;
      },
      { what: `an EndpointSlice with ready endpoints ${podIPs}`, ...slow },
    );
    expect(slice.ports).toEqual([expect.objectContaining({ name: 'http', port: 8000 })]);
    // The EndpointSlice controller copies the Service's labels onto its slices.
    expect(slice.metadata.labels?.[LABELS.service]).toBe(name);

    // Deleting the Deployment: the garbage collector removes the Service and the Secret it owns.
    await kubeOk(cluster(), 'DELETE', objectPath(deployment as KubeObject), { propagationPolicy: 'Background' });
    await waitFor(
      async () => {
        const statuses = await Promise.all(
          objects.map((o) => kube(cluster(), 'GET', objectPath(o)).then((r) => r.status)),
        );
        return statuses.every((s) => s === 404);
      },
      { what: 'the Deployment, Service and Secret to be gone', ...slow },
    );
  });
});
