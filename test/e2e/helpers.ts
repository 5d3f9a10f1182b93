/**
 * End-to-end helpers: a real Pier (in this process or as a child process), real
 * instances, real sockets on loopback. Every wait is bounded.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceDescription } from '../../src/api/index.js';
import { type PierOptions, type RunningPier, startPier } from '../../src/server.js';
import { waitFor } from '../support/wait.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * An async service on test/e2e/fixtures/async-model.mjs (it answers each item and
 * reports ready on /health), with `instances` replicas of `workerThreads` slots each.
 */
export function asyncModelSpec(name: string, instances: number, workerThreads: number) {
  return {
    name,
    metadata: {
      type: 'Async',
      instance: instances,
      rpc: { worker_threads: workerThreads },
      eas: { termination_grace_period: 2 },
    },
    containers: [
      {
        command: `node ${path.join(repoRoot, 'test/e2e/fixtures/async-model.mjs')}`,
        port: 8000,
        readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 },
      },
    ],
  };
}
export const fixtureApp = path.join(repoRoot, 'test/e2e/fixtures/app.mjs');

export interface TestPier extends RunningPier {
  home: string;
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Runs the `pier` CLI against this server; resolves with its output and exit code. */
  cli(args: string[], opts?: { cwd?: string; timeoutMs?: number }): Promise<CliResult>;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function startTestPier(extra: Partial<PierOptions> = {}): Promise<TestPier> {
  const home = mkdtempSync(path.join(tmpdir(), 'pier-e2e-'));
  const pier = await startPier({
    home,
    controlHost: '127.0.0.1',
    controlPort: 0,
    gatewayHost: '127.0.0.1',
    gatewayPort: 0,
    adminToken: 'test-admin-token-0123456789abcdef',
    logLevel: 'warn',
    ...extra,
  });
  return {
    ...pier,
    home,
    api: (method, route, body) => callApi(pier.controlUrl, pier.adminToken, method, route, body),
    cli: (args, opts) =>
      runCli(args, { PIER_CONTROL_URL: pier.controlUrl, PIER_ADMIN_TOKEN: pier.adminToken, PIER_HOME: home }, opts),
    async close() {
      await pier.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function callApi<T>(
  base: string,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(130_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain text answer (logs)
  }
  return { status: res.status, body: parsed as T };
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  opts: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/pier.js'), ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A spec running the fixture app with the given env and container fields. */
export function fixtureSpec(
  name: string,
  env: Record<string, string | number> = {},
  container: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
) {
  return {
    name,
    metadata: { instance: 1, eas: { termination_grace_period: 2 }, ...metadata },
    containers: [
      {
        command: `node ${fixtureApp}`,
        port: 8000,
        env: Object.entries(env).map(([k, v]) => ({ name: k, value: String(v) })),
        ...container,
      },
    ],
  };
}

export interface PierChild {
  child: ChildProcess;
  controlUrl: string;
  gatewayUrl: string;
  output(): string;
}

/** Starts `pier server` as a child process (for kill -9 tests). */
export async function startPierProcess(
  home: string,
  controlPort: number,
  gatewayPort: number,
  adminToken: string,
  extraArgs: readonly string[] = [],
  opts: { waitForApi?: boolean } = {},
): Promise<PierChild> {
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'bin/pier.js'),
      'server',
      '--home',
      home,
      '--control-port',
      String(controlPort),
      '--gateway-port',
      String(gatewayPort),
      '--gateway-host',
      '127.0.0.1',
      '--log-level',
      'warn',
      ...extraArgs,
    ],
    { env: { ...process.env, PIER_ADMIN_TOKEN: adminToken }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (c) => {
    out += c;
  });
  child.stderr?.on('data', (c) => {
    out += c;
  });
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  if (opts.waitForApi !== false) {
    await waitFor(async () => (await fetch(`${controlUrl}/healthz`)).ok, {
      what: 'pier server to answer',
      timeoutMs: 60_000,
    });
  }
  return { child, controlUrl, gatewayUrl: `http://127.0.0.1:${gatewayPort}`, output: () => out };
}

export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** What the fixture app (fixtures/app.mjs) has seen: probe hits and requests in flight. */
export interface AppCounters {
  health: number;
  startedFailures: number;
  tcpOnly: number;
  inflight: number;
}

/** Reads the fixture app's counters at an instance address ("127.0.0.1:40123"), not through the gateway. */
export async function appCounters(address: string): Promise<AppCounters> {
  const res = await fetch(`http://${address}/counters`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as AppCounters;
}

/** True while the process exists and is not a zombie (an exited child not yet reaped). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Waits until `name` is Running (every desired instance ready) and returns its description. */
export function waitRunning(pier: TestPier, name: string, timeoutMs = 120_000): Promise<ServiceDescription> {
  return waitFor(
    async () => {
      const s = (await pier.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
      return s.status === 'Running' && s.instances.ready >= s.desired ? s : undefined;
    },
    { what: `${name} to be Running`, timeoutMs: timeoutMs },
  );
}
