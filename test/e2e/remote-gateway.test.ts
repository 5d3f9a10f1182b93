/**
 * Graceful drain through a remote gateway (`pier gateway --control URL`): an
 * instance that stops is signalled only after the remote gateway acknowledged
 * the snapshot without it and finished its requests to it. Without the acks the
 * control plane would see nothing in flight (the requests run in another
 * process) and SIGTERM the instance under them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { startGatewayOnly } from '../../src/server.js';
import { startLoad } from '../support/load.js';
import { appCounters, fixtureSpec, startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';

let pier: TestPier;
let remote: { url: string; close(): Promise<void> };

beforeAll(async () => {
  pier = await startTestPier();
  remote = await startGatewayOnly({
    controlUrl: pier.controlUrl,
    adminToken: pier.adminToken,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
    gatewayId: 'e2e-remote',
  });
});
afterAll(async () => {
  await remote?.close();
  await pier?.close();
});

const instances = async (name: string) =>
  (await pier.api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;

async function createRunning(name: string, env: Record<string, number>): Promise<ServiceDescription> {
  const spec = fixtureSpec(
    name,
    env,
    { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } },
    { instance: 2, eas: { termination_grace_period: 30 } },
  );
  expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
  const svc = await waitFor(
    async () => {
      const d = (await pier.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
      return d.status === 'Running' && d.instances.ready === 2 ? d : undefined;
    },
    { what: `${name} to be Running with 2 ready instances`, timeoutMs: 120_000 },
  );
  await waitFor(
    async () => {
      const res = await fetch(`${remote.url}/api/predict/${name}/ping`, { headers: { authorization: svc.token } });
      await res.arrayBuffer();
      return res.status === 200;
    },
    { what: `the remote gateway to route to ${name}`, timeoutMs: 60_000 },
  );
  return svc;
}

/** One POST through the remote gateway; its status and the instance that answered. */
async function post(name: string, token: string): Promise<{ status: number; instance?: string; error?: string }> {
  try {
    const res = await fetch(`${remote.url}/api/predict/${name}/work`, {
      method: 'POST',
      headers: { authorization: token, connection: 'close' },
      body: 'x',
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (res.status !== 200) return { status: res.status, error: text.slice(0, 200) };
    return { status: 200, instance: (JSON.parse(text) as { instance: string }).instance };
  } catch (err) {
    return { status: 0, error: String(err) };
  }
}

it('slow requests through the remote gateway finish when their instance is scaled away', async () => {
  // The fixture answers every POST after 1.5 s.
  const svc = await createRunning('drain_remote', { RESPONSE_DELAY_MS: 1500 });
  const listed = await instances('drain_remote');
  const before = listed.map((i) => i.id);
  const inflight = Array.from({ length: 12 }, () => post('drain_remote', svc.token));
  // Scale down once requests run on both instances (the fixture app counts them).
  await waitFor(
    async () => (await Promise.all(listed.map((i) => appCounters(i.address!)))).every((c) => c.inflight > 0),
    { what: 'requests in flight at both instances', timeoutMs: 30_000, intervalMs: 20 },
  );
  expect((await pier.api('POST', '/api/v1/services/drain_remote/scale', { instances: 1 })).status).toBe(200);
  const results = await Promise.all(inflight);
  expect(results.filter((r) => r.status !== 200)).toEqual([]);

  const after = await waitFor(
    async () => {
      const list = await instances('drain_remote');
      return list.length === 1 ? list : undefined;
    },
    { what: 'one instance left', timeoutMs: 60_000 },
  );
  const removed = before.filter((id) => id !== after[0]!.id);
  expect(removed).toHaveLength(1);
  // The removed instance did have requests of the remote gateway in flight when it was drained.
  expect(results.some((r) => r.instance === removed[0])).toBe(true);
  await pier.api('DELETE', '/api/v1/services/drain_remote');
});

it('restart under steady load through the remote gateway fails no request', async () => {
  const svc = await createRunning('steady_remote', { RESPONSE_DELAY_MS: 20 });
  const before = new Set((await instances('steady_remote')).map((i) => i.id));
  const load = startLoad({ endpoint: `${remote.url}/api/predict/steady_remote`, token: svc.token, concurrency: 8 });
  try {
    await waitFor(() => load.result.ok > 50, { what: 'load to flow', timeoutMs: 60_000 });
    expect((await pier.api('POST', '/api/v1/services/steady_remote/restart', {})).status).toBe(200);
    await waitFor(
      async () => {
        const d = (await pier.api<ServiceDescription>('GET', '/api/v1/services/steady_remote')).body;
        const list = await instances('steady_remote');
        return d.status === 'Running' && list.length === 2 && list.every((i) => i.ready && !before.has(i.id));
      },
      { what: 'every instance replaced', timeoutMs: 120_000 },
    );
    const okBefore = load.result.ok;
    await waitFor(() => load.result.ok > okBefore + 50, { what: 'load after the restart', timeoutMs: 60_000 });
  } finally {
    await load.stop();
  }
  expect(load.result.failures).toEqual([]);
  expect(load.result.failed).toBe(0);
  expect(load.result.ok).toBeGreaterThan(100);
});

it('a standalone gateway serves its own /metrics with the admin token (issue 15)', async () => {
  const denied = await fetch(`${remote.url}/metrics`);
  expect(denied.status).toBe(401);
  await denied.arrayBuffer();
  const res = await fetch(`${remote.url}/metrics`, { headers: { authorization: `Bearer ${pier.adminToken}` } });
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toMatch(/pier_build_info\{[^}]*role="gateway"\} 1/);
  expect(text).toMatch(/pier_gateway_requests_total\{service="[^"]+",instance="[^"]+",code="200"\} \d+/);
});

it('serves service groups and follows traffic changes (issue 17)', async () => {
  const spec = fixtureSpec(
    'rg_a',
    {},
    { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } },
    { group: 'rg' },
  );
  expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
  const token = (await pier.api<{ token: string }>('GET', '/api/v1/groups/rg')).body.token;
  const status = async () => {
    const res = await fetch(`${remote.url}/api/predict/rg/work`, { method: 'POST', headers: { authorization: token } });
    await res.arrayBuffer();
    return res.status;
  };
  await waitFor(async () => (await status()) === 200, {
    what: 'the remote gateway to route the group',
    timeoutMs: 120_000,
  });
  // Taken out of the group's traffic: the group has no member to send to.
  expect((await pier.api('PATCH', '/api/v1/groups/rg/traffic', { standalone: { rg_a: true } })).status).toBe(200);
  await waitFor(async () => (await status()) === 503, {
    what: 'the remote gateway to follow the change',
    timeoutMs: 30_000,
  });
  const pinned = await fetch(`${remote.url}/api/predict/rg.rg_a/work`, {
    method: 'POST',
    headers: { authorization: token },
  });
  expect(pinned.status).toBe(200);
});
