/**
 * The test control plane from a test's side: start and stop it with cluster.sh,
 * and call its API with the kubeconfig's credential (plain HTTPS, no client
 * library). See README.md beside this file.
 */

import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../support/wait.js';
import { promisify } from 'node:util';
import { waitFor } from '../support/wait.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

export interface Cluster {
  dir: string;
  kubeconfig: string;
  server: string;
  token: string;
  ca: Buffer;
}

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

/** The few fields of API objects that tests read. */
export interface ObjectMeta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
}
export interface KubeList<T> {
  items: T[];
}
export interface Node {
  metadata: ObjectMeta;
  status: { allocatable: Record<string, string>; addresses: { type: string; address: string }[] };
}
export interface Pod {
  metadata: ObjectMeta & { namespace?: string };
  spec: { nodeName?: string; containers: { name: string }[]; initContainers?: { name: string }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}
export interface EndpointSlice {
  metadata: ObjectMeta;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
}

export interface UpOptions {
  /** An audit policy (YAML): the apiserver then logs to DIR/logs/audit.log (JSON lines). */
  auditPolicy?: string;
}

/** `cluster.sh up DIR`; rejects with cluster.sh's own message (which names build.sh or netns.sh). */
export async function upCluster(dir: string, opts: UpOptions = {}): Promise<Cluster> {
  if (opts.auditPolicy !== undefined) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'audit-policy.yaml'), opts.auditPolicy);
  }
  try {
    await run('bash', [path.join(here, 'cluster.sh'), 'up', dir], { maxBuffer: 1 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`cluster.sh up failed: ${e.stderr?.trim() || e.message}`);
  }
  return loadCluster(dir);
}

export async function downCluster(dir: string): Promise<void> {
  await run('bash', [path.join(here, 'cluster.sh'), 'down', dir], { maxBuffer: 1 << 20 });
}

/** Reads DIR/kubeconfig (cluster.sh writes it as JSON, which is valid YAML). */
export function loadCluster(dir: string): Cluster {
  const kubeconfig = path.join(dir, 'kubeconfig');
  const config = JSON.parse(readFileSync(kubeconfig, 'utf8'));
  const cluster = config.clusters[0].cluster;
  return {
    dir,
    kubeconfig,
    server: cluster.server,
    token: config.users[0].user.token,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
  };
}

/** Pids of the components `up` started, by name (DIR/pids/NAME.pid). */
export function clusterPids(dir: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const file of readdirSync(path.join(dir, 'pids'))) {
    if (file.endsWith('.pid'))
      pids.set(file.slice(0, -4), Number(readFileSync(path.join(dir, 'pids', file), 'utf8').trim()));
  }
  return pids;
}

/** One API call; a JSON body in, the parsed JSON body out (text when it is not JSON). */
export function kube<T = unknown>(
  c: Cluster,
  method: string,
  route: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<KubeResponse<T>> {
  const url = new URL(route, c.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: c.ca,
        headers: {
          authorization: `Bearer ${c.token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${route} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like `kube`, but rejects unless the status is 2xx. */
export async function kubeOk<T = unknown>(c: Cluster, method: string, route: string, body?: unknown): Promise<T> {
  const res = await kube<T>(c, method, route, body);
  if (res.status < 200 || res.status > 299)
    throw new Error(`${method} ${route}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body;
}

/**
 * Gives each container of a pod a log file that the apiserver's pods/{name}/log
 * reads: DIR/pod-logs/NAMESPACE/POD/CONTAINER.log, mapped by a kwok `Logs`
 * object named after the pod (https://kwok.sigs.k8s.io/docs/user/logs-configuration/).
 * kwok has no templated paths, so each pod needs its own. Resolves once the
 * apiserver serves every container's (empty) log through kwok; returns the files
 * by container name. Write lines with `appendPodLog`.
 */
export async function podLogFiles(c: Cluster, namespace: string, pod: string): Promise<Map<string, string>> {
  const p = await kubeOk<Pod>(c, 'GET', `/api/v1/namespaces/${namespace}/pods/${pod}`);
  const names = [...(p.spec.initContainers ?? []), ...p.spec.containers].map((x) => x.name);
  const files = new Map(names.map((name) => [name, path.join(c.dir, 'pod-logs', namespace, pod, `${name}.log`)]));
  mkdirSync(path.join(c.dir, 'pod-logs', namespace, pod), { recursive: true });
  for (const file of files.values()) writeFileSync(file, '', { flag: 'a' });
  await kubeOk(c, 'POST', `/apis/kwok.x-k8s.io/v1alpha1/namespaces/${namespace}/logs`, {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Logs',
    metadata: { name: pod },
    spec: { logs: [...files].map(([name, logsFile]) => ({ containers: [name], logsFile })) },
  });
  // kwok learns of the object through its watch: until then it answers "no logs found".
  for (const name of names) {
    await waitFor(
      async () => {
        const res = await kube(c, 'GET', `/api/v1/namespaces/${namespace}/pods/${pod}/log?container=${name}`);
        if (res.status !== 200) throw new Error(`HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        return true;
      },
      { what: `kwok to serve the log of ${namespace}/${pod}/${name}`, timeoutMs: 60_000, intervalMs: 100 },
    );
  }
  return files;
}

/**
 * Appends lines to a container's log file in the CRI format the kubelet reads
 * ("TIMESTAMP STREAM TAG TEXT", k8s.io/cri-client pkg/logs), which kwok serves as is.
 */
export function appendPodLog(file: string, lines: string[], stream: 'stdout' | 'stderr' = 'stdout'): void {
  const at = new Date().toISOString();
  appendFileSync(file, lines.map((line) => `${at} ${stream} F ${line}\n`).join(''));
}

/** `waitUntil` with the bounds of this slow, shared control plane (each wait still ends on its event). */
export function waitOnCluster<T>(check: () => Promise<T>, until: (value: T) => boolean, what: string): Promise<T> {
  return waitUntil(check, until, { what, timeoutMs: 120_000, intervalMs: 250 });
}
