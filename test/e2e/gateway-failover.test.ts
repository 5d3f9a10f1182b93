/**
 * kill -9 of one instance under concurrent load: with another instance ready,
 * no request fails.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { fixtureSpec, startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';
import { pidOf } from '../support/instance.js';

let pier: TestPier;
beforeAll(async () => {
  pier = await startTestPier();
});
afterAll(async () => {
  await pier?.close();
});

it('kill -9 of an instance during load leaves 0 failed requests', async () => {
  const spec = fixtureSpec(
    'failover',
    { RESPONSE_DELAY_MS: 20 },
    {
      readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 },
    },
    { instance: 2 },
  );
  expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
  const svc = await waitFor(
    async () => {
      const s = (await pier.api<ServiceDescription>('GET', '/api/v1/services/failover')).body;
      return s.status === 'Running' ? s : undefined;
    },
    { what: 'Running', timeoutMs: 60_000 },
  );
  const instances = (await pier.api<InstanceView[]>('GET', '/api/v1/services/failover/instances')).body;

  const results = { ok: 0, failed: [] as string[] };
  let stop = false;
  const worker = async () => {
    for (let n = 0; n < 2000 && !stop; n++) {
      try {
        const res = await fetch(`${svc.endpoint}/work?n=${n}`, {
          method: 'POST',
          headers: { authorization: svc.token },
          body: 'x',
        });
        await res.arrayBuffer();
        if (res.status === 200) results.ok++;
        else results.failed.push(String(res.status));
      } catch (err) {
        results.failed.push(String(err));
      }
    }
  };
  const load = Promise.all(Array.from({ length: 8 }, worker));
  await waitFor(() => results.ok > 50, { what: 'some traffic', timeoutMs: 60_000 });
  process.kill(pidOf(instances[0]), 'SIGKILL');
  await waitFor(() => results.ok > 400, { what: 'traffic after the kill', timeoutMs: 60_000 });
  stop = true;
  await load;
  expect(results.failed).toEqual([]);
  expect(results.ok).toBeGreaterThan(400);
});
