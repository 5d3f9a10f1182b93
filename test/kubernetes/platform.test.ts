/**
 * Pier on the real test control plane (`pier server --platform kubernetes`): a
 * spec becomes a Deployment and a Service, pods are the instances, the gateway
 * routes to pod addresses taken from EndpointSlices, and `modify`, `version`,
 * `scale` and `delete` act through the Deployment. Runs under netns.sh
 * (README.md here), so a backend can bind a pod's address on this machine.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { callApi, freePort, type PierChild, runCli, startPierProcess } from '../e2e/helpers.js';
import { type Cluster, downCluster, type KubeList, kubeOk, type Pod, upCluster, waitOnCluster } from './cluster.js';

const ns = 'pier-e2e';
const apps = `/apis/apps/v1/namespaces/${ns}`;
const core = `/api/v1/namespaces/${ns}`;
const adminToken = 'k8s-e2e-admin-token-0123456789abcdef';

interface Deployment {
  metadata: { name: string; generation: number; annotations?: Record<string, string>; uid: string };
  spec: {
    replicas: number;
    paused?: boolean;
    strategy: { rollingUpdate: { maxSurge: number | string; maxUnavailable: number | string } };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { name: string; image: string; resources?: { limits?: Record<string, string> } }[] };
    };
  };
  status?: { observedGeneration?: number; updatedReplicas?: number; availableReplicas?: number; replicas?: number };
}

let dir: string;
let c: Cluster;
let upError: Error | undefined;
let home: string;
let controlPort: number;
let gatewayPort: number;
let pier: PierChild | undefined;
const backends: http.Server[] = [];

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

async function startServer(): Promise<PierChild> {
  return startPierProcess(home, controlPort, gatewayPort, adminToken, [
    '--platform',
    'kubernetes',
    '--kubeconfig',
    cluster().kubeconfig,
    '--namespace',
    ns,
    '--default-image',
    'pier.test/runner:1',
  ]);
}

function api<T>(method: string, route: string, body?: unknown) {
  return callApi<T>(`http://127.0.0.1:${controlPort}`, adminToken, method, route, body);
}

function cli(args: string[]) {
  return runCli(args, { PIER_CONTROL_URL: `http://127.0.0.1:${controlPort}`, PIER_ADMIN_TOKEN: adminToken });
}

async function cliOk(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`pier ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const describeService = async (name: string) => (await api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
const instancesOf = async (name: string) =>
  (await api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;
const deploymentOf = (name: string) => kubeOk<Deployment>(cluster(), 'GET', `${apps}/deployments/${name}`);
const podsOf = async (name: string) =>
  (await kubeOk<KubeList<Pod>>(cluster(), 'GET', `${core}/pods?labelSelector=pier.dev%2Fservice%3D${name}`)).items;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-platform-'));
  home = path.join(dir, 'home');
  try {
    c = await upCluster(path.join(dir, 'cluster'));
    await kubeOk(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    controlPort = await freePort();
    gatewayPort = await freePort();
    pier = await startServer();
  } catch (err) {
    upError = err as Error;
  }
}, 600_000);

afterAll(async () => {
  pier?.child.kill('SIGTERM');
  await Promise.all(backends.map((b) => new Promise((done) => b.close(done))));
  if (dir) {
    await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

/** A backend on a pod's address, as the pod's container would be; it answers with its address. */
async function bindBackend(ip: string, port: number): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(JSON.stringify({ ip, path: req.url })));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => resolve());
  });
  backends.push(server);
}

const spec = {
  name: 'echo',
  metadata: {
    instance: 3,
    cpu: 1,
    memory: 1024,
    gpu: 1,
    rolling_strategy: { max_surge: 1, max_unavailable: 0 },
  },
  containers: [
    {
      image: 'pier.test/echo:1',
      port: 8000,
      env: [{ name: 'MODEL', value: 'v1' }],
      readiness_check: { http_get: { path: '/ready', port: 8000 }, period_seconds: 2 },
      liveness_check: { tcp_socket: { port: 8000 }, failure_threshold: 5 },
    },
  ],
};

function specFile(name: string, body: unknown): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

describe('pier server --platform kubernetes', () => {
  it('turns a 3-instance spec into a Deployment and a Service whose pods become Running and Ready', async () => {
    cluster();
    await cliOk(['create', specFile('echo', spec), '--no-wait']);
    const d = await waitOnCluster(
      () => deploymentOf('echo'),
      (b) => b.metadata.name === 'echo',
      'the Deployment',
    );
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    const serving = d.spec.template.spec.containers.find((x) => x.name === 'serving');
    expect(serving?.image).toBe('pier.test/echo:1');
    expect(serving?.resources?.limits).toMatchObject({ cpu: '1', 'nvidia.com/gpu': '1' });
    const svc = await waitOnCluster(
      () =>
        kubeOk<{ metadata: { ownerReferences?: { kind: string; name: string }[] } }>(
          cluster(),
          'GET',
          `${core}/services/echo`,
        ),
      () => true,
      'the Service',
    );
    expect(svc.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'echo' })]);

    const desc = await waitOnCluster(
      () => describeService('echo'),
      (s) => s.status === 'Running' && s.instances.ready === 3,
      'echo Running with 3 ready instances',
    );
    expect(desc.instances.total).toBe(3);
    const pods = await podsOf('echo');
    const views = await instancesOf('echo');
    expect(views.map((v) => v.id).sort()).toEqual(pods.map((p) => p.metadata.name).sort());
    for (const v of views) {
      expect(v).toMatchObject({ state: 'Running', ready: true, revision: 1 });
      expect(v.address).toMatch(/^198\.18\.\d+\.\d+:8000$/);
    }
    const w = await cliOk(['w', 'echo']);
    for (const p of pods) expect(w).toContain(p.metadata.name);
    const events = await cliOk(['events', 'echo']);
    expect(events).toMatch(/ScalingReplicaSet|Scheduled/);
  });

  it('routes a request through the gateway to a backend at a pod address from an EndpointSlice', async () => {
    type Slices = KubeList<{ endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }>;
    const slices = await waitOnCluster(
      () =>
        kubeOk<Slices>(
          cluster(),
          'GET',
          `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Decho`,
        ),
      (l) => l.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready)).length === 3,
      'an EndpointSlice with three ready endpoints',
    );
    const ips = slices.items.flatMap((s) => (s.endpoints ?? []).map((e) => e.addresses[0] as string));
    expect(ips).toHaveLength(3);
    for (const ip of ips) await bindBackend(ip, 8000);
    const token = (await describeService('echo')).token;
    const seen = new Set<string>();
    await waitOnCluster(
      async () => {
        const res = await fetch(`http://127.0.0.1:${gatewayPort}/api/predict/echo/hello`, {
          method: 'POST',
          headers: { authorization: token },
          body: 'x',
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { ip: string; path: string };
        expect(body.path).toBe('/hello');
        seen.add(body.ip);
        return seen.size;
      },
      (n) => n === 3,
      'requests to reach all three pods',
    );
    expect([...seen].sort()).toEqual([...ips].sort());
  });

  it('rolls the Deployment on modify with the spec surge and unavailability', async () => {
    const before = await deploymentOf('echo');
    await cliOk([
      'modify',
      'echo',
      '-D',
      'containers[0].env[0].value=v2',
      '-D',
      'metadata.rolling_strategy.max_surge=2',
      '--no-wait',
    ]);
    const after = await waitOnCluster(
      () => deploymentOf('echo'),
      (d) => d.metadata.annotations?.['pier.dev/revision'] === '2',
      'the Deployment to get revision 2',
    );
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.spec.strategy.rollingUpdate).toEqual({ maxSurge: 2, maxUnavailable: 0 });
    await waitOnCluster(
      () => describeService('echo'),
      (s) => s.status === 'Running' && s.instances.ready === 3 && s.revision === 2,
      'echo Running on revision 2',
    );
    await waitOnCluster(
      () => instancesOf('echo'),
      (v) => v.length === 3 && v.every((i) => i.revision === 2 && i.ready),
      'every instance on revision 2',
    );
  });

  it('pauses a revision whose pods never become ready, and rolls back with pier version', async () => {
    await cliOk([
      'modify',
      'echo',
      '-D',
      'containers[0].image=pier.test/never-ready:1',
      '-D',
      'metadata.rolling_strategy.progress_deadline_seconds=5',
      '--no-wait',
    ]);
    const paused = await waitOnCluster(
      () => deploymentOf('echo'),
      (d) => d.spec.paused === true,
      'the Deployment paused',
    );
    expect(paused.metadata.annotations?.['pier.dev/paused-revision']).toBe('3');
    const events = await cliOk(['events', 'echo']);
    expect(events).toContain('DeploymentPaused');
    // The old revision keeps serving while paused.
    expect((await describeService('echo')).instances.ready).toBeGreaterThanOrEqual(3);

    await cliOk(['version', 'echo', '2']);
    const back = await waitOnCluster(
      () => deploymentOf('echo'),
      (d) => d.spec.paused !== true && d.spec.template.spec.containers[0]?.image === 'pier.test/echo:1',
      'the Deployment resumed on the old template',
    );
    expect(back.metadata.annotations?.['pier.dev/paused-revision']).toBeUndefined();
    await waitOnCluster(
      () => instancesOf('echo'),
      (v) => v.filter((i) => i.state !== 'Terminating').length === 3 && v.every((i) => i.ready && i.revision !== 3),
      'three ready instances again, none of the bad revision',
    );
  });

  it('writes the scale subresource on pier scale, and from the autoscaler', async () => {
    await cliOk(['scale', 'echo', '5']);
    await waitOnCluster(
      () => kubeOk<{ spec: { replicas: number } }>(cluster(), 'GET', `${apps}/deployments/echo/scale`),
      (s) => s.spec.replicas === 5,
      'scale 5',
    );
    await waitOnCluster(
      () => describeService('echo'),
      (s) => s.instances.ready === 5,
      'five ready',
    );
    // An autoscaler with min 2 and no load brings it down to its floor.
    await cliOk(['autoscale', 'echo', '--min', '2', '--max', '4', '--qps', '1000']);
    await waitOnCluster(
      () => kubeOk<{ spec: { replicas: number } }>(cluster(), 'GET', `${apps}/deployments/echo/scale`),
      (s) => s.spec.replicas === 2,
      'the autoscaler to write scale 2',
    );
  });

  it('loses nothing and duplicates nothing when pier server is killed during a rollout', async () => {
    const before = await deploymentOf('echo');
    // min_ready_seconds holds the rollout open long enough to kill Pier in the middle of it.
    await cliOk([
      'modify',
      'echo',
      '-D',
      'containers[0].env[0].value=v3',
      '-D',
      'metadata.rolling_strategy.min_ready_seconds=4',
      '--no-wait',
    ]);
    const mid = await waitOnCluster(
      () => deploymentOf('echo'),
      (d) =>
        d.metadata.annotations?.['pier.dev/revision'] === '5' &&
        (d.status?.observedGeneration ?? 0) >= d.metadata.generation &&
        (d.status?.updatedReplicas ?? 0) >= 1 &&
        (d.status?.availableReplicas ?? 0) < (d.status?.replicas ?? 0),
      'the rollout of revision 5 to be under way',
    );
    pier?.child.kill('SIGKILL');
    await new Promise((done) => pier?.child.once('exit', done));
    pier = await startServer();
    const desc = await waitOnCluster(
      () => describeService('echo'),
      (s) => s.status === 'Running' && s.instances.ready === 2 && s.revision === 5,
      'echo Running on revision 5 after the restart',
    );
    expect(desc.revision).toBe(5);
    const after = await deploymentOf('echo');
    expect(after.metadata.uid).toBe(before.metadata.uid);
    // The restarted Pier applied the same template: no new generation past the one it found.
    expect(after.metadata.generation).toBe(mid.metadata.generation);
    const deployments = await kubeOk<KubeList<Deployment>>(cluster(), 'GET', `${apps}/deployments`);
    expect(deployments.items.map((d) => d.metadata.name)).toEqual(['echo']);
    const services = await kubeOk<KubeList<{ metadata: { name: string } }>>(cluster(), 'GET', `${core}/services`);
    expect(services.items.map((s) => s.metadata.name)).toEqual(['echo']);
    await waitOnCluster(
      () => podsOf('echo'),
      (p) => p.length === 2 && p.every((x) => x.metadata.labels?.['pier.dev/revision'] === '5'),
      'exactly the desired pods, all of revision 5',
    );
  });

  it('deletes every object on pier delete', async () => {
    await cliOk(['delete', 'echo', '-y']);
    await waitOnCluster(
      async () => {
        const [d, s, rs, pods] = await Promise.all([
          kubeOk<KubeList<unknown>>(cluster(), 'GET', `${apps}/deployments`),
          kubeOk<KubeList<unknown>>(cluster(), 'GET', `${core}/services`),
          kubeOk<KubeList<unknown>>(cluster(), 'GET', `${apps}/replicasets`),
          kubeOk<KubeList<unknown>>(cluster(), 'GET', `${core}/pods`),
        ]);
        return d.items.length + s.items.length + rs.items.length + pods.items.length;
      },
      (n) => n === 0,
      'no object left in the namespace',
    );
    expect((await api('GET', '/api/v1/services/echo')).status).toBe(404);
  });
});
