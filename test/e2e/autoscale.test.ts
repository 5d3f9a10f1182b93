/**
 * The autoscaler on real instances: a load step scales up through the normal
 * (ready-gated) path, idle scales back down after the stabilization window, and
 * autoscaler changes make a revision without replacing instances.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import type { EventRecord } from '../../src/store/index.js';
import { fixtureSpec, startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';

let pier: TestPier;
beforeAll(async () => {
  pier = await startTestPier();
});
afterAll(async () => {
  await pier?.close();
});

const desc = async () => (await pier.api<ServiceDescription>('GET', '/api/v1/services/elastic')).body;

/** Sends about `qps` requests a second until stopped; returns the failures. */
function steadyLoad(d: ServiceDescription, qps: number) {
  let stopped = false;
  const failures: string[] = [];
  let sent = 0;
  const inflight = new Set<Promise<void>>();
  const done = (async () => {
    const start = Date.now();
    for (let n = 0; n < 5000 && !stopped; n++) {
      const due = start + (n * 1000) / qps;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      sent++;
      const call = fetch(`${d.endpoint}/work`, {
        method: 'POST',
        headers: { authorization: d.token },
        body: '{}',
        signal: AbortSignal.timeout(60_000),
      })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status !== 200) failures.push(`HTTP ${res.status}`);
        })
        .catch((err) => {
          failures.push(String(err));
        })
        .finally(() => inflight.delete(call));
      inflight.add(call);
    }
  })();
  return {
    failures,
    sent: () => sent,
    async stop() {
      stopped = true;
      await done;
      // Every request sent has its answer (or its error) before the failures are read.
      await Promise.all([...inflight]);
      return failures;
    },
  };
}

it('scales up on a load step, back down when idle, and autoscale --off keeps the instances', {
  timeout: 240_000,
}, async () => {
  const spec = {
    ...fixtureSpec(
      'elastic',
      {},
      { readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 } },
    ),
    autoscaler: {
      min: 1,
      max: 4,
      scaleStrategies: [{ metricName: 'qps', threshold: 5 }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 5 } },
    },
  };
  expect((await pier.api('POST', '/api/v1/services', spec)).status).toBe(201);
  const d = await waitFor(
    async () => {
      const x = await desc();
      return x.status === 'Running' ? x : undefined;
    },
    { what: 'Running', timeoutMs: 60_000 },
  );
  expect(d.desired).toBe(1);

  const load = steadyLoad(d, 18);
  const scaled = await waitFor(
    async () => {
      const x = await desc();
      return x.desired >= 4 && x.instances.ready >= 4 ? x : undefined;
    },
    { what: 'a scale-up to 4', timeoutMs: 60_000 },
  );
  expect(scaled.autoscaler).toBeDefined();
  const failures = await load.stop();
  expect(failures).toEqual([]);
  const up = (await pier.api<EventRecord[]>('GET', '/api/v1/services/elastic/events')).body.find(
    (e) => e.reason === 'Autoscaled',
  );
  expect(up?.message).toMatch(/qps/);

  await waitFor(
    async () => {
      const x = await desc();
      return x.desired === 1 && x.instances.total === 1;
    },
    { what: 'back to 1 when idle', timeoutMs: 90_000 },
  );

  const before = (await pier.api<InstanceView[]>('GET', '/api/v1/services/elastic/instances')).body;
  const off = await pier.cli(['autoscale', 'elastic', '--off']);
  expect(off.code, off.stderr).toBe(0);
  const after = await waitFor(
    async () => {
      const x = await desc();
      return x.revision === 2 && x.status === 'Running' ? x : undefined;
    },
    { what: 'revision 2 without a restart', timeoutMs: 60_000 },
  );
  expect(after.spec.autoscaler).toBeUndefined();
  const list = (await pier.api<InstanceView[]>('GET', '/api/v1/services/elastic/instances')).body;
  expect(list.map((i) => i.id)).toEqual(before.map((i) => i.id));
  expect(list.every((i) => i.revision === 2 && i.restarts === 0)).toBe(true);
});
