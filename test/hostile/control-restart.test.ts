/**
 * Issue 12, defect 7: a kill -9 and restart of the control plane blanked the
 * endpoints of a separate gateway (`pier gateway --control URL`): re-adopted
 * instances started not-ready, the gateway replaced its last good list with the
 * new empty one, and a service nobody touched answered 503. Under load through
 * the separate gateway, the control plane is killed and started again on the
 * same home; not one request may fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import {
  createGateway,
  createRemoteEndpointSource,
  type EndpointSnapshot,
  type Gateway,
  type RemoteEndpointSource,
} from '../../src/gateway/index.js';
import { callApi, fixtureSpec, freePort, type PierChild, startPierProcess } from '../e2e/helpers.js';
import { waitFor } from '../support/wait.js';
import { underLoad } from '../support/load.js';
import { pidOf } from '../support/instance.js';

const TOKEN = 'hostile-restart-admin-token-0123456789';
const home = mkdtempSync(path.join(tmpdir(), 'pier-hostile-restart-'));
const children: PierChild[] = [];
let source: RemoteEndpointSource | undefined;
let gateway: Gateway | undefined;

afterAll(async () => {
  await gateway?.close();
  source?.close();
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
  await waitFor(() => children.every((c) => c.child.exitCode !== null || c.child.signalCode !== null), {
    what: 'the control planes to exit',
    timeoutMs: 50_000,
  });
  rmSync(home, { recursive: true, force: true });
});

it('kill -9 of the control plane under load through a separate gateway fails no request', async () => {
  const controlPort = await freePort();
  const gatewayPort = await freePort();
  const first = await startPierProcess(home, controlPort, gatewayPort, TOKEN);
  children.push(first);
  const api = <T>(method: string, route: string, body?: unknown) =>
    callApi<T>(first.controlUrl, TOKEN, method, route, body);

  // A readiness period long enough that a not-ready restart shows as failed requests.
  const spec = fixtureSpec(
    'steady',
    {},
    { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 5 } },
    { instance: 2 },
  );
  expect((await api('POST', '/api/v1/services', spec)).status).toBe(201);
  const svc = await waitFor(
    async () => {
      const d = (await api<ServiceDescription>('GET', '/api/v1/services/steady')).body;
      return d.status === 'Running' && d.instances.ready === 2 ? d : undefined;
    },
    { what: 'steady to run 2 ready instances', timeoutMs: 120_000 },
  );
  const before = (await api<InstanceView[]>('GET', '/api/v1/services/steady/instances')).body;

  // The separate gateway: what `pier gateway --control URL` runs (src/server.ts startGatewayOnly).
  const logger = pino({ level: 'silent' });
  source = createRemoteEndpointSource({
    controlUrl: first.controlUrl,
    adminToken: TOKEN,
    logger,
    gatewayId: 'hostile-remote',
    minBackoffMs: 50,
    maxBackoffMs: 200,
    inflight: (id) => gateway?.inflight(id) ?? 0,
  });
  await source.ready;
  const applied: EndpointSnapshot[] = [];
  source.subscribe((s) => applied.push(s));
  gateway = createGateway({ source, logger, registry: new Registry() });
  const port = await gateway.listen(0, '127.0.0.1');
  await waitFor(() => source?.current().services.steady?.endpoints.length === 2, {
    what: 'the separate gateway to route to steady',
  });

  let blank = -1;
  const result = await underLoad(
    { endpoint: `http://127.0.0.1:${port}/api/predict/steady`, token: svc.token, concurrency: 8 },
    async (load) => {
      first.child.kill('SIGKILL');
      await waitFor(() => first.child.signalCode === 'SIGKILL', { what: 'the control plane to die' });
      const killedAt = applied.length;
      const okWhileDown = load.result.ok;
      const second = await startPierProcess(home, controlPort, gatewayPort, TOKEN);
      children.push(second);
      // The gateway reconnected and applied what the new control plane publishes.
      await waitFor(() => applied.length > killedAt, {
        what: 'the separate gateway to follow the new control plane',
        timeoutMs: 60_000,
      });
      const after = await waitFor(
        async () => {
          const list = (
            await callApi<InstanceView[]>(second.controlUrl, TOKEN, 'GET', '/api/v1/services/steady/instances')
          ).body;
          return list.length === 2 && list.every((i) => i.ready && Object.keys(i.probes).length > 0) ? list : undefined;
        },
        { what: 'the restarted control plane to probe both instances', timeoutMs: 60_000 },
      );
      expect(after.map(pidOf).sort()).toEqual(before.map(pidOf).sort());
      expect(load.result.ok).toBeGreaterThan(okWhileDown);
      blank = applied.slice(killedAt).filter((s) => (s.services.steady?.endpoints.length ?? 0) === 0).length;
    },
    200,
  );
  console.log(
    `control-plane kill -9 under load: ${result.ok} ok, ${result.failed} failed; ` +
      `${blank} snapshot(s) without endpoints applied after the restart`,
  );
  // Every snapshot the gateway applied after the restart routed steady somewhere.
  expect(blank).toBe(0);
  expect(result.failures).toEqual([]);
  expect(result.failed).toBe(0);
  expect(result.ok).toBeGreaterThan(250);
});
