/**
 * queue[avgbacklog] on a real Pier, on each queue backend: an async service at zero
 * wakes on its first put, scales out on its backlog, answers every item, and goes
 * back to zero once its queue is empty and idle.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import type { EventRecord } from '../../src/store/index.js';
import { queueBackends } from '../support/queue.js';
import { waitFor } from '../support/wait.js';
import { repoRoot, startTestPier, type TestPier } from './helpers.js';

const model = path.join(repoRoot, 'test/e2e/fixtures/async-model.mjs');
const ITEMS = 60;

for (const store of queueBackends()) {
  describe(`queue[avgbacklog] on the ${store.name} queue backend (issue 16)`, () => {
    let pier: TestPier | undefined;
    beforeAll(async () => {
      await store.setup();
      const flag = store.args();
      pier = await startTestPier(flag.length > 0 ? { queueBackend: flag[1]! } : {});
    });
    afterAll(async () => {
      await pier?.close();
      await store.teardown();
    });

    it('wakes on the first put, scales out on the backlog, and returns to zero when the queue is empty', {
      timeout: 300_000,
    }, async () => {
      const p = pier!;
      const name = `backlog_${store.name}`;
      const spec = {
        name,
        metadata: { type: 'Async', instance: 1, rpc: { worker_threads: 1 }, eas: { termination_grace_period: 2 } },
        containers: [
          {
            command: `node ${model}`,
            port: 8000,
            readiness_check: { http_get: { path: '/health', port: 8000 }, period_seconds: 1 },
          },
        ],
        autoscaler: {
          min: 0,
          max: 3,
          scaleStrategies: [{ metricName: 'queue[avgbacklog]', threshold: 5 }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 0 }, onZero: { scaleDownGracePeriodSeconds: 3 } },
        },
      };
      expect((await p.api('POST', '/api/v1/services', spec)).status).toBe(201);
      const desc = async () => (await p.api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
      const atZero = () =>
        waitFor(
          async () => {
            const x = await desc();
            return x.desired === 0 && x.instances.total === 0 ? x : undefined;
          },
          { what: `${name} at zero`, timeoutMs: 120_000 },
        );
      const { token } = await atZero();
      const url = `${p.gatewayUrl}/api/predict/${name}`;
      const attrs = await fetch(`${url}?_attrs_=true`, { headers: { authorization: token } });
      expect(((await attrs.json()) as Record<string, string>)['meta.backend']).toBe(store.name);

      const ids = new Set<string>();
      for (let i = 0; i < ITEMS; i++) {
        const res = await fetch(url, { method: 'POST', headers: { authorization: token }, body: `b-${i}` });
        expect(res.status).toBe(200);
        ids.add(res.headers.get('x-eas-queueservice-request-id')!);
      }
      const events = async () => (await p.api<EventRecord[]>('GET', `/api/v1/services/${name}/events`)).body;
      // 60 items at 5 per instance ask for 12: the max, 3, once the scale rate allows it.
      await waitFor(async () => (await events()).some((e) => e.reason === 'Autoscaled' && /→ 3:/.test(e.message)), {
        what: 'a scale-out to 3 on the backlog',
        timeoutMs: 120_000,
      });
      const count = async (sub: string) =>
        Number(await (await fetch(`${url}${sub}?_count_=true`, { headers: { authorization: token } })).text());
      await waitFor(async () => (await count('')) === 0 && (await count('/sink')) >= ITEMS, {
        what: `${ITEMS} answers in the sink`,
        timeoutMs: 180_000,
        intervalMs: 250,
      });
      expect(await count('/sink')).toBe(ITEMS);
      await atZero();
      const all = await events();
      const scaled = all.filter((e) => e.reason === 'Autoscaled').map((e) => e.message);
      expect(scaled.some((m) => /queue item\(s\) waiting with no instance/.test(m) || /request arrived/.test(m))).toBe(
        true,
      );
      expect(scaled.some((m) => /queue\[avgbacklog\]/.test(m))).toBe(true);
      expect(scaled.at(-1)).toMatch(/empty queue .* → scale to zero/);
    });
  });
}
