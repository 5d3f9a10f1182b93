/**
 * Scale to zero and back: with autoscaler min 0, an idle service drains its last
 * instance after onZero.scaleDownGracePeriodSeconds and shows Running with 0
 * instances; the next request is held by the gateway while an instance starts,
 * and answered by it once it is ready — never failed, never sent early.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import type { EventRecord } from '../../src/store/index.js';
import { startGatewayOnly } from '../../src/server.js';
import { fixtureSpec, startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';

let pier: TestPier;
beforeAll(async () => {
  pier = await startTestPier();
});
afterAll(async () => {
  await pier?.close();
});

const desc = async () => (await pier.api<ServiceDescription>('GET', '/api/v1/services/sleepy')).body;

it('drains to zero when idle and wakes on the first request without failing it', { timeout: 180_000 }, async () => {
  const spec = {
    ...fixtureSpec(
      'sleepy',
      { LISTEN_DELAY_MS: 500 },
      { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } },
    ),
    autoscaler: {
      min: 0,
      max: 2,
      scaleStrategies: [{ metricName: 'qps', threshold: 5 }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 0 }, onZero: { scaleDownGracePeriodSeconds: 3 } },
    },
  };
  expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
  const d = await waitFor(
    async () => {
      const x = await desc();
      return x.status === 'Running' && x.instances.ready === 1 ? x : undefined;
    },
    { what: 'Running with one instance', timeoutMs: 60_000 },
  );

  const zero = await waitFor(
    async () => {
      const x = await desc();
      return x.desired === 0 && x.instances.total === 0 && x.status === 'Running' ? x : undefined;
    },
    { what: 'scaled to zero', timeoutMs: 90_000 },
  );
  expect(zero.reason).toBe('ScaledToZero');

  const t0 = Date.now();
  const res = await fetch(`${d.endpoint}/wake`, { method: 'POST', headers: { authorization: d.token }, body: 'hello' });
  const body = (await res.json()) as { instance: string; body: string };
  expect(res.status).toBe(200);
  expect(body.body).toBe('hello');
  // The app opens its port 500 ms after it starts: the request waited for it.
  expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
  const events = (await pier.api<EventRecord[]>('GET', '/api/v1/services/sleepy/events')).body;
  expect(events.some((e) => e.reason === 'Autoscaled' && e.message.includes('scaled to zero'))).toBe(true);
  expect(events.some((e) => e.reason === 'Autoscaled' && e.message.includes('→ 0'))).toBe(true);
  expect((await desc()).desired).toBeGreaterThanOrEqual(1);
});

it('a remote gateway (pier gateway --control) also wakes a service scaled to zero', { timeout: 180_000 }, async () => {
  const remote = await startGatewayOnly({
    controlUrl: pier.controlUrl,
    adminToken: pier.adminToken,
    host: '127.0.0.1',
    port: 0,
    logLevel: 'warn',
  });
  try {
    const d = await waitFor(
      async () => {
        const x = await desc();
        return x.desired === 0 && x.instances.total === 0 ? x : undefined;
      },
      { what: 'back at zero', timeoutMs: 90_000 },
    );
    const res = await fetch(`${remote.url}/api/predict/sleepy/again`, {
      method: 'POST',
      headers: { authorization: d.token },
      body: 'remote',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: string }).body).toBe('remote');
  } finally {
    await remote.close();
  }
});
