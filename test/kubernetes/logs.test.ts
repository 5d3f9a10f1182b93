/**
 * `pier logs` on the real test control plane: Pier reads pods/{name}/log from the
 * apiserver, which proxies to the node's kubelet API, here kwok's server
 * (cluster.sh). Each pod's container log is a file that the test writes
 * (podLogFiles, a kwok Logs object per pod; README.md here). Runs under netns.sh.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { callApi, freePort, type PierChild, repoRoot, runCli, startPierProcess } from '../e2e/helpers.js';
import { waitFor } from '../support/wait.js';
import {
  appendPodLog,
  type Cluster,
  downCluster,
  type KubeList,
  kubeOk,
  type Pod,
  podLogFiles,
  upCluster,
} from './cluster.js';

const ns = 'pier-logs';
const slow = { timeoutMs: 120_000, intervalMs: 250 };
const adminToken = 'k8s-logs-admin-token-0123456789abcdef';

let dir: string;
let c: Cluster;
let upError: Error | undefined;
let controlPort: number;
let pier: PierChild | undefined;
const followers: ChildProcessWithoutNullStreams[] = [];
/** The serving container's log file of each pod of the service, by pod name. */
const files = new Map<string, string>();
let pods: string[] = [];

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

const env = () => ({ PIER_CONTROL_URL: `http://127.0.0.1:${controlPort}`, PIER_ADMIN_TOKEN: adminToken });
const cli = (args: string[]) => runCli(args, env());

async function cliOk(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`pier ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `pier logs … -f` as a child process; its stdout so far, and its exit. */
function follow(args: string[]) {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/pier.js'), 'logs', ...args, '-f'], {
    cwd: repoRoot,
    env: { ...process.env, ...env(), NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  followers.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Waits until `stdout()` shows `text`; a timeout names what it showed. */
function waitOutput(f: { stdout: () => string; stderr: () => string }, text: string) {
  return waitFor(
    () => {
      if (!f.stdout().includes(text)) throw new Error(`stdout: ${f.stdout()} stderr: ${f.stderr()}`);
      return true;
    },
    { what: `pier logs -f to print ${JSON.stringify(text)}`, ...slow },
  );
}

/**
 * Appends "WORD N from POD" (N = 1, 2, …) to the pod's log until the follower shows
 * one: the follow request reaches kwok some time after the tail was printed, and
 * nothing outside tells when, so a line written before then is (rightly) not shown.
 */
async function appendUntilShown(f: { stdout: () => string }, pod: string, word: string, prefix = ''): Promise<void> {
  let n = 0;
  await waitFor(
    () => {
      if (f.stdout().includes(`${prefix}${word} `)) return true;
      appendPodLog(files.get(pod)!, [`${word} ${++n} from ${pod}`]);
      return false;
    },
    { what: `pier logs -f to show a "${word}" line of ${pod}`, ...slow },
  );
}

/** The follower's lines of WORD: numbered from some k on, each once and in order (none lost, none repeated). */
function expectRun(lines: string[], word: string, pod: string, prefix = ''): void {
  const mine = lines.filter((l) => l.startsWith(`${prefix}${word} `));
  expect(mine.length).toBeGreaterThan(0);
  const first = Number(mine[0]!.slice(`${prefix}${word} `.length).split(' ')[0]);
  expect(mine).toEqual(mine.map((_, i) => `${prefix}${word} ${first + i} from ${pod}`));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-logs-'));
  try {
    c = await upCluster(path.join(dir, 'cluster'));
    await kubeOk(c, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    controlPort = await freePort();
    pier = await startPierProcess(path.join(dir, 'home'), controlPort, await freePort(), adminToken, [
      '--platform',
      'kubernetes',
      '--kubeconfig',
      c.kubeconfig,
      '--namespace',
      ns,
    ]);
  } catch (err) {
    upError = err as Error;
  }
}, 600_000);

afterAll(async () => {
  for (const f of followers) if (f.exitCode === null && f.signalCode === null) f.kill('SIGKILL');
  if (pier) {
    const exited = new Promise((done) => pier?.child.once('exit', done));
    pier.child.kill('SIGTERM');
    if (pier.child.exitCode === null && pier.child.signalCode === null) await exited;
  }
  if (dir) {
    await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

const spec = {
  name: 'talker',
  metadata: { instance: 2, cpu: 1, memory: 1024 },
  containers: [{ image: 'pier.test/talker:1', port: 8000 }],
};

describe('pier logs --platform kubernetes', () => {
  it("names the pod and carries the apiserver's message when the node has no log for it", async () => {
    cluster();
    const file = path.join(dir, 'talker.json');
    writeFileSync(file, JSON.stringify(spec));
    await cliOk(['create', file, '--no-wait']);
    await waitFor(
      async () => {
        const d = (await callApi<ServiceDescription>(pier!.controlUrl, adminToken, 'GET', '/api/v1/services/talker'))
          .body;
        if (d.status !== 'Running' || d.instances.ready !== 2) throw new Error(JSON.stringify(d).slice(0, 500));
        return true;
      },
      { what: 'talker Running with 2 ready instances', ...slow },
    );
    const list = await kubeOk<KubeList<Pod>>(
      cluster(),
      'GET',
      `/api/v1/namespaces/${ns}/pods?labelSelector=pier.dev%2Fservice%3Dtalker`,
    );
    pods = list.items.map((p) => p.metadata.name).sort();
    expect(pods).toHaveLength(2);

    // No kwok Logs object yet: kwok answers 400 "no logs found …", the apiserver passes it on.
    const r = await cli(['logs', 'talker', '--instance', pods[0]!]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`logs of pod ${pods[0]}`);
    expect(r.stderr).toContain(`no logs found for container "serving" in pod "${ns}/${pods[0]}"`);
  });

  it('prints every pod’s lines, each prefixed with the pod', async () => {
    for (const pod of pods) {
      const byContainer = await podLogFiles(cluster(), ns, pod);
      files.set(pod, byContainer.get('serving')!);
      appendPodLog(files.get(pod)!, [`alpha from ${pod}`, `beta from ${pod}`]);
    }
    const out = await cliOk(['logs', 'talker']);
    for (const pod of pods) {
      expect(out).toContain(`[${pod}] alpha from ${pod}\n[${pod}] beta from ${pod}\n`);
    }
    expect(out.split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('prints the last line only with --instance and --tail 1', async () => {
    const pod = pods[1]!;
    expect(await cliOk(['logs', 'talker', '--instance', pod, '--tail', '1'])).toBe(`beta from ${pod}\n`);
  });

  it('follows one pod with -f: lines appended later show, once, and SIGINT ends it cleanly', async () => {
    const pod = pods[0]!;
    const f = follow(['talker', '--instance', pod]);
    await waitOutput(f, `beta from ${pod}\n`);
    await appendUntilShown(f, pod, 'gamma');
    // The tail, then new lines only: nothing of the tail is sent twice.
    const lines = f.stdout().split('\n').filter(Boolean);
    expect(lines.slice(0, 2)).toEqual([`alpha from ${pod}`, `beta from ${pod}`]);
    expect(lines.slice(2).every((l) => l.startsWith('gamma '))).toBe(true);
    expectRun(lines, 'gamma', pod);
    f.child.kill('SIGINT');
    expect(await f.exit).toEqual({ code: 0, signal: null });
    expect(f.stderr()).toBe('');
    // The server outlives a follower that hangs up.
    expect((await fetch(`${pier!.controlUrl}/healthz`)).ok).toBe(true);
  });

  it('follows every pod with -f, each line prefixed with its pod', async () => {
    const f = follow(['talker']);
    for (const pod of pods) await waitOutput(f, `[${pod}] beta from ${pod}\n`);
    for (const pod of pods) await appendUntilShown(f, pod, 'delta', `[${pod}] `);
    const lines = f.stdout().split('\n').filter(Boolean);
    for (const pod of pods) expectRun(lines, 'delta', pod, `[${pod}] `);
    expect(lines.every((l) => pods.some((pod) => l.startsWith(`[${pod}] `)))).toBe(true);
    f.child.kill('SIGINT');
    expect(await f.exit).toEqual({ code: 0, signal: null });
  });

  it('fails naming an unknown instance', async () => {
    const r = await cli(['logs', 'talker', '--instance', 'talker-nope-12345']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('talker-nope-12345');
    expect(r.stderr).toMatch(/not a pod/);
  });
});
