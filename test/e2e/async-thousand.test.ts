/**
 * Issue 16's run: 1,000 puts to an async service with 3 instances whose model takes
 * 50–500 ms, while one instance is kill -9'd and then Pier itself is kill -9'd and
 * started again on the same home. Every acknowledged put is answered exactly once in
 * the sink with its body; a put that was in flight at Pier's kill (no answer, so the
 * client cannot know) is answered at most once; nothing else is in the sink. Once on
 * each queue backend: SQLite in Pier's home, and Redis Streams on a real redis-server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { decodeFrameList, PROTOBUF } from '../../src/queue/index.js';
import { queueBackends } from '../support/queue.js';
import { pidOf } from '../support/instance.js';
import { waitFor } from '../support/wait.js';
import { asyncModelSpec, callApi, freePort, type PierChild, startPierProcess } from './helpers.js';

const TOTAL = 1000;
const PUTTERS = 8;
const admin = 'async-thousand-admin-token-0123456789';
const name = 'thousandq';

interface Frame {
  index: number;
  tags: Record<string, string>;
  data: Buffer;
}

for (const store of queueBackends()) {
  describe(`on the ${store.name} queue backend`, () => {
    const home = mkdtempSync(path.join(tmpdir(), `pier-async-thousand-${store.name}-`));
    const children: PierChild[] = [];
    beforeAll(() => store.setup());
    afterAll(async () => {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
      await waitFor(() => children.every((c) => c.child.exitCode !== null || c.child.signalCode !== null), {
        what: 'servers to exit',
        timeoutMs: 60_000,
      });
      await store.teardown();
      rmSync(home, { recursive: true, force: true });
    });

    it(`${TOTAL} puts, kill -9 of an instance and of Pier mid-run: every item exactly once in the sink`, async () => {
      const controlPort = await freePort();
      const gatewayPort = await freePort();
      let pier = await startPierProcess(home, controlPort, gatewayPort, admin, store.args());
      children.push(pier);
      const api = <T>(method: string, route: string, body?: unknown) =>
        callApi<T>(pier.controlUrl, admin, method, route, body);
      const spec = asyncModelSpec(name, 3, 4);
      expect((await api('POST', '/api/v1/services', spec)).status).toBe(201);
      const running = () =>
        waitFor(
          async () => {
            const d = (await api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
            return d.status === 'Running' && d.instances.ready >= 3 ? d : undefined;
          },
          { what: 'the async service to run with 3 ready instances', timeoutMs: 120_000 },
        );
      const { token } = await running();
      const url = `http://127.0.0.1:${gatewayPort}/api/predict/${name}`;
      const attrs = await fetch(`${url}?_attrs_=true`, { headers: { authorization: token } });
      expect(((await attrs.json()) as Record<string, string>)['meta.backend']).toBe(store.name);
      const count = async (sub: string) =>
        Number(await (await fetch(`${url}${sub}?_count_=true`, { headers: { authorization: token } })).text());

      const acked = new Map<string, string>();
      // Puts that got no answer because Pier died under them: stored or not, the client cannot tell.
      const unanswered = new Map<string, string>();
      let next = 0;
      let pierDown: Promise<unknown> | undefined;
      const putter = async () => {
        while (acked.size < TOTAL) {
          const n = next++;
          const id = `req-${n}`;
          const body = `item-${n}`;
          try {
            const res = await fetch(`${url}?requestId=${id}`, {
              method: 'POST',
              headers: { authorization: token },
              body,
            });
            expect(res.status).toBe(200);
            expect(res.headers.get('x-eas-queueservice-request-id')).toBe(id);
            await res.text();
            acked.set(id, body);
          } catch (err) {
            if (!pierDown) throw err;
            unanswered.set(id, body);
            await pierDown;
          }
        }
      };
      const putting = Promise.all(Array.from({ length: PUTTERS }, putter));

      // An instance dies with items of its own in flight (window 4).
      await waitFor(async () => acked.size >= 150 && (await count('/sink')) >= 30, {
        what: 'the first answers',
        timeoutMs: 120_000,
      });
      const instances = (await api<InstanceView[]>('GET', `/api/v1/services/${name}/instances`)).body;
      const victim = instances.find((i) => i.ready && i.platform?.kind === 'local' && i.platform.pid);
      expect(victim).toBeDefined();
      process.kill(pidOf(victim as InstanceView), 'SIGKILL');

      // Pier dies with puts in flight, items at instances, and answers being written.
      await waitFor(() => acked.size >= 500, { what: '500 acknowledged puts', timeoutMs: 180_000 });
      // The chance to lose or repeat something: items wait and are at instances when Pier dies.
      expect(await count('')).toBeGreaterThan(12);
      const first = pier;
      const restarted = (async () => {
        first.child.kill('SIGKILL');
        await waitFor(() => first.child.signalCode === 'SIGKILL', { what: 'Pier to die', timeoutMs: 60_000 });
        pier = await startPierProcess(home, controlPort, gatewayPort, admin, store.args());
        children.push(pier);
        await running();
      })();
      pierDown = restarted;
      await restarted;
      pierDown = undefined;
      await putting;
      expect(acked.size).toBeGreaterThanOrEqual(TOTAL);

      // An answer and its input's commit are one transaction: once the input is empty, the sink is final.
      await waitFor(async () => (await count('')) === 0 && (await count('/sink')) >= acked.size, {
        what: `every one of ${acked.size} items answered`,
        timeoutMs: 300_000,
        intervalMs: 250,
      });
      const frames: Frame[] = [];
      for (let from = 0; ; ) {
        const res = await fetch(`${url}/sink?_index_=${from}&_length_=1000&_timeout_=0s`, {
          headers: { authorization: token, accept: PROTOBUF },
        });
        const page = decodeFrameList(Buffer.from(await res.arrayBuffer())) as Frame[];
        if (page.length === 0) break;
        frames.push(...page);
        from = page.at(-1)!.index + 1;
      }
      const seen = new Map<string, number>();
      for (const f of frames) {
        const id = f.tags.requestId!;
        seen.set(id, (seen.get(id) ?? 0) + 1);
        const body = acked.get(id) ?? unanswered.get(id);
        expect(body, `sink item ${f.index} answers ${id}, which was never put`).toBeDefined();
        expect(f.data.toString()).toBe(`done:${body}`);
        expect(f.tags.lastCode).toBeUndefined();
      }
      const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      expect(twice, 'request ids answered more than once').toEqual([]);
      const missing = [...acked.keys()].filter((id) => !seen.has(id));
      expect(missing, 'acknowledged puts never answered').toEqual([]);
    });
  });
}
