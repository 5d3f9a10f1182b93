/**
 * `kill -9` of the Pier server loses nothing: the services come back from the
 * store and the instances that kept running are re-adopted (same pids) — also when
 * the killed server was a Pier from before the platform seam, whose re-adoption
 * rows sit in the store's `instances` table (src/platform/local/records.ts moves them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { callApi, fixtureSpec, freePort, isRunning, type PierChild, startPierProcess } from './helpers.js';
import { downgradeToLegacyHome } from '../support/legacy-home.js';
import { waitFor } from '../support/wait.js';
import { pidOf } from '../support/instance.js';

const token = 'restart-admin-token-0123456789abcdef';
const homes: string[] = [];
const children: PierChild[] = [];
/** The instances the killed server left: if the restarted one never adopts them, nothing else ends them. */
const orphans: number[] = [];

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGTERM');
  await waitFor(() => children.every((c) => c.child.exitCode !== null || c.child.signalCode !== null), {
    what: 'servers to exit',
    timeoutMs: 60_000,
  });
  for (const pid of orphans) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

it.each([
  { killed: 'this Pier', legacy: false },
  { killed: 'a Pier before the platform seam (store schema 2)', legacy: true },
])(
  'a server ($killed) killed with kill -9 comes back with the same services and re-adopts the instances',
  async ({ legacy }) => {
    const home = mkdtempSync(path.join(tmpdir(), 'pier-restart-'));
    homes.push(home);
    const controlPort = await freePort();
    const gatewayPort = await freePort();
    const first = await startPierProcess(home, controlPort, gatewayPort, token);
    children.push(first);
    const api = <T>(method: string, route: string, body?: unknown) =>
      callApi<T>(first.controlUrl, token, method, route, body);

    expect((await api('POST', '/api/v1/services', fixtureSpec('survivor', {}, {}, { instance: 2 }))).status).toBe(201);
    await waitFor(
      async () => (await api<ServiceDescription>('GET', '/api/v1/services/survivor')).body.status === 'Running',
      { what: 'Running', timeoutMs: 60_000 },
    );
    const before = (await api<InstanceView[]>('GET', '/api/v1/services/survivor/instances')).body;
    orphans.push(...before.map(pidOf));
    const d = (await api<ServiceDescription>('GET', '/api/v1/services/survivor')).body;

    first.child.kill('SIGKILL');
    await waitFor(() => first.child.signalCode === 'SIGKILL', { what: 'the server to die', timeoutMs: 60_000 });
    // The instances outlive their supervisor.
    for (const i of before) expect(isRunning(pidOf(i))).toBe(true);
    if (legacy) expect(downgradeToLegacyHome(home)).toBe(before.length);

    const second = await startPierProcess(home, controlPort, gatewayPort, token);
    children.push(second);
    const after = await waitFor(
      async () => {
        const s = (await api<ServiceDescription>('GET', '/api/v1/services/survivor')).body;
        return s.status === 'Running' ? s : undefined;
      },
      { what: 'Running again', timeoutMs: 60_000 },
    );
    expect(after.token).toBe(d.token);
    expect(after.revision).toBe(1);
    const instances = (await api<InstanceView[]>('GET', '/api/v1/services/survivor/instances')).body;
    expect(instances.map(pidOf).sort()).toEqual(before.map(pidOf).sort());
    expect(instances.every((i) => i.restarts === 0)).toBe(true);

    const res = await fetch(`${second.gatewayUrl}/api/predict/survivor/hello`, { headers: { authorization: d.token } });
    expect(res.status).toBe(200);

    // A clean stop drains and stops the instances.
    second.child.kill('SIGTERM');
    await waitFor(() => second.child.exitCode === 0, { what: 'clean exit', timeoutMs: 60_000 });
    for (const i of before) expect(isRunning(pidOf(i))).toBe(false);
  },
);
