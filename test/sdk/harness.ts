/**
 * Shared harness for the official-SDK tests (test/sdk/<language>/): a real Pier
 * with real instances on loopback, a service created from a spec and waited to
 * Running, its gateway endpoint and token, its instances' pids (to kill one), the
 * gateway's request count (to tell gateway calls from direct ones), and a child
 * process runner that hands the test each stdout line as it comes (so a test can
 * act when an SDK client reports progress). Every wait is bounded; for waits of
 * your own use `waitFor` from test/support/wait.ts.
 *
 *   const pier = await startSdkPier();
 *   const svc = await createService(pier, fixtureSpec('echo', {}, {}, { instance: 2 }));
 *   const run = await runLines('python', ['client.py', svc.gatewayUrl, svc.name, svc.token], {
 *     onLine: (line) => { if (line.includes('"done":50')) void svc.killInstance(0); },
 *   });
 *   await pier.close();
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { InstanceView } from '../../src/api/index.js';
import { substituteSpecDir } from '../../src/cli/spec-file.js';
import type { PierOptions } from '../../src/server.js';
import { isRunning, startTestPier, type TestPier, waitRunning } from '../e2e/helpers.js';
import { waitFor } from '../support/wait.js';
import { pidOf } from '../support/instance.js';

export { fixtureApp, fixtureSpec, repoRoot, type TestPier, waitRunning } from '../e2e/helpers.js';

/** A test Pier that runs instances as local processes (SDK tests need no container engine). */
export function startSdkPier(extra: Partial<PierOptions> = {}): Promise<TestPier> {
  return startTestPier({ runtime: 'process', ...extra });
}

export interface SdkService {
  name: string;
  /** The gateway's base URL, `http://127.0.0.1:<port>` (what the SDKs call "endpoint"). */
  gatewayUrl: string;
  /** `<gatewayUrl>/api/predict/<name>`. */
  endpoint: string;
  token: string;
  /** The instances as the control API lists them now. */
  instances(): Promise<InstanceView[]>;
  /** Ready instances' process-group ids, in the API's order. */
  pids(): Promise<number[]>;
  /** kill -9 the `index`-th ready instance's process group; resolves with its pid once it is gone. */
  killInstance(index?: number): Promise<number>;
  /**
   * Requests the gateway forwarded to one of this service's instances (from the
   * control plane's /metrics); gateway-made answers (401, discovery) do not count.
   */
  gatewayRequests(): Promise<number>;
}

/**
 * POSTs `spec` to the control API and waits until the service is Running with
 * every desired instance ready (`timeoutMs`, default 120 s).
 */
export async function createService(pier: TestPier, spec: { name: string }, timeoutMs = 120_000): Promise<SdkService> {
  const created = await pier.api('POST', '/api/v1/services', spec);
  if (created.status !== 201) {
    throw new Error(`creating ${spec.name} answered ${created.status}: ${JSON.stringify(created.body)}`);
  }
  const svc = await waitRunning(pier, spec.name, timeoutMs);
  const name = spec.name;
  const instances = async () => (await pier.api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;
  const pids = async () =>
    (await instances())
      .filter((i) => i.ready && i.platform?.kind === 'local' && i.platform.pid !== undefined)
      .map(pidOf);
  return {
    name,
    gatewayUrl: pier.gatewayUrl,
    endpoint: svc.endpoint,
    token: svc.token,
    instances,
    pids,
    async killInstance(index = 0) {
      const pid = (await pids())[index];
      if (pid === undefined) throw new Error(`${name} has no ready instance #${index}`);
      killGroup(pid);
      await waitFor(() => !isRunning(pid), {
        what: `instance pid ${pid} to be gone`,
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      return pid;
    },
    gatewayRequests: () => gatewayRequests(pier, name),
  };
}

/**
 * Reads a `service.json` as `pier create` does (`${PIER_SPEC_DIR}` becomes the
 * file's directory), with `overrides` merged over its top level and `metadata`.
 */
export function loadSpec(
  file: string,
  overrides: { name?: string; metadata?: Record<string, unknown> } = {},
): { name: string; metadata?: Record<string, unknown> } {
  const abs = path.resolve(file);
  const spec = substituteSpecDir(JSON.parse(readFileSync(abs, 'utf8')), path.dirname(abs)) as {
    name: string;
    metadata?: Record<string, unknown>;
  };
  return { ...spec, ...overrides, metadata: { ...spec.metadata, ...overrides.metadata } };
}

/**
 * Sums `pier_gateway_requests_total{service="<name>"}` over codes and instances,
 * leaving out `instance=""` (answers the gateway made itself: auth errors, discovery).
 */
export async function gatewayRequests(pier: TestPier, name: string): Promise<number> {
  const text = await (await fetch(`${pier.controlUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('pier_gateway_requests_total{') || !line.includes(`service="${name}"`)) continue;
    if (line.includes('instance=""')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** SIGKILL a process group (instances are started detached, so the pid leads a group). */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

export interface LinesResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout split into lines (without the trailing empty one). */
  lines: string[];
}

export interface LinesOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Called with each complete stdout line as it arrives; `write` sends a line to the child's stdin. */
  onLine?: (line: string, write: (line: string) => void) => void;
  /** The child is SIGKILLed after this long (default 110 s, under vitest's test timeout). */
  timeoutMs?: number;
}

/** Runs a command and resolves when it exits; stdout lines are handed to `onLine` as they come. */
export function runLines(command: string, args: string[], opts: LinesOptions = {}): Promise<LinesResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const lines: string[] = [];
    const write = (line: string) => {
      if (child.stdin.writable) child.stdin.write(`${line}\n`);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push(line);
        opts.onLine?.(line, write);
      }
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.stdin.on('error', () => undefined); // the child may exit without reading stdin
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 110_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending) lines.push(pending);
      resolve({ code, signal, stdout, stderr, lines });
    });
  });
}
