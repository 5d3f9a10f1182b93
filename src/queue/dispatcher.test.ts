import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, call, startBackend, TOKEN } from '../../test/support/gateway.js';
import {
  type QueueBackend,
  type QueueHarness,
  queueBackends,
  removeHome,
  startQueueGateway,
} from '../../test/support/queue.js';
import { waitFor } from '../../test/support/wait.js';
import { type Clock, createRealClock } from '../clock.js';
import { decodeFrameList, PROTOBUF } from './index.js';

const auth = { authorization: TOKEN };
let h: QueueHarness | undefined;
/** The backend of the describe block running now (each block sets it in beforeAll). */
let current: QueueBackend | undefined;
const backends: Backend[] = [];

afterEach(async () => {
  if (h) {
    await h.close();
    removeHome(h.home);
  }
  h = undefined;
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

async function backend(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const b = await startBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString()));
  });
  backends.push(b);
  return b;
}

async function put(port: number, body: string, query = '') {
  const r = await call(port, `/api/predict/jobs${query}`, { method: 'POST', headers: auth, body });
  expect(r.status).toBe(200);
  return r.headers['x-eas-queueservice-request-id'] as string;
}

async function sink(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/api/predict/jobs/sink?_length_=1000&_timeout_=0s`, {
    headers: { ...auth, accept: PROTOBUF },
  });
  return decodeFrameList(Buffer.from(await res.arrayBuffer()));
}

async function count(port: number, path = '/api/predict/jobs') {
  return Number((await call(port, `${path}?_count_=true`, { headers: auth })).body);
}

for (const store of queueBackends()) {
  describe(`on the ${store.name} queue backend`, () => {
    beforeAll(async () => {
      await store.setup();
      current = store;
    });
    afterAll(() => store.teardown());

    describe('dispatcher (issue 16)', () => {
      it('POSTs items to the proxy path with tags as headers, answers to the sink with requestId, and commits', async () => {
        const seen: { url: string; tag: string | undefined; id: string | undefined }[] = [];
        const b = await backend((req, res, body) => {
          seen.push({
            url: req.url ?? '',
            tag: req.headers.color as string,
            id: req.headers['x-eas-queueservice-request-id'] as string,
          });
          if (body === 'fail') res.writeHead(500).end('model broke');
          else res.writeHead(200).end(`echo:${body}`);
        });
        h = await startQueueGateway('jobs', { proxyPath: '/predict' }, [], undefined, current);
        const ok = await put(h.port, 'hello', '?color=red');
        const bad = await put(h.port, 'fail');
        h.store.set({ version: 2, services: { jobs: h.route([b.endpoint()]) } });
        await waitFor(async () => (await sink(h!.port)).length === 2, { what: 'two answers in the sink' });
        const frames = await sink(h.port);
        const byId = Object.fromEntries(frames.map((f) => [f.tags.requestId, f]));
        expect(byId[ok]!.data.toString()).toBe('echo:hello');
        expect(byId[ok]!.tags.lastCode).toBeUndefined();
        expect([byId[bad]!.tags.lastCode, byId[bad]!.tags.lastMessage]).toEqual(['500', 'model broke']);
        expect(seen.find((s) => s.id === ok)).toEqual({ url: '/predict', tag: 'red', id: ok });
        expect(await count(h.port)).toBe(0);
      });

      it('keeps at most worker_threads items at an instance', async () => {
        let running = 0;
        let most = 0;
        const held: ServerResponse[] = [];
        const b = await backend((_req, res) => {
          running++;
          most = Math.max(most, running);
          held.push(res);
        });
        h = await startQueueGateway('jobs', {}, [], undefined, current);
        for (let i = 0; i < 6; i++) await put(h.port, `j${i}`);
        h.store.set({
          version: 2,
          services: {
            jobs: h.route([b.endpoint()], { rpc: { keepalive: 5000, worker_threads: 2, max_queue_size: 0 } }),
          },
        });
        // Bounded: six items, two at a time; each release lets exactly one more in.
        for (let done = 0; done < 6; done++) {
          await waitFor(() => held.length > 0, { what: `item ${done + 1} at the instance` });
          expect(running).toBeLessThanOrEqual(2);
          const res = held.shift()!;
          running--;
          res.writeHead(200).end('ok');
        }
        await waitFor(async () => (await sink(h!.port)).length === 6, { what: 'six answers' });
        expect(most).toBe(2);
      });

      it('an instance that drops the connection mid-item: the item goes to another instance, once', async () => {
        const dropper = await backend((req) => req.socket.destroy());
        const good = await backend((_req, res, body) => res.writeHead(200).end(`good:${body}`));
        h = await startQueueGateway('jobs', {}, [], undefined, current);
        const ids = [];
        for (let i = 0; i < 5; i++) ids.push(await put(h.port, `x${i}`));
        h.store.set({ version: 2, services: { jobs: h.route([dropper.endpoint('a'), good.endpoint('b')]) } });
        await waitFor(async () => (await sink(h!.port)).length === 5, { what: 'five answers', timeoutMs: 20_000 });
        const frames = await sink(h.port);
        expect(frames.map((f) => f.tags.requestId).sort()).toEqual([...ids].sort());
        expect(frames.every((f) => f.data.toString().startsWith('good:') && !f.tags.lastCode)).toBe(true);
      });

      it('after max deliveries the item goes to the sink as failed', async () => {
        let calls = 0;
        const dropper = await backend((req) => {
          calls++;
          req.socket.destroy();
        });
        h = await startQueueGateway('jobs', { maxDelivery: 2 }, [], undefined, current);
        const id = await put(h.port, 'doomed');
        h.store.set({ version: 2, services: { jobs: h.route([dropper.endpoint()]) } });
        await waitFor(async () => (await sink(h!.port)).length === 1, {
          what: 'the failed item in the sink',
          timeoutMs: 20_000,
        });
        const [f] = await sink(h.port);
        expect([f!.tags.requestId, f!.tags.lastCode]).toEqual([id, '500']);
        expect(f!.tags.lastMessage).toMatch(/delivered 2 times/);
        expect(calls).toBe(2);
        expect(await count(h.port)).toBe(0);
      });

      it('a full sink stops consumption until it has room', async () => {
        const b = await backend((_req, res, body) => res.writeHead(200).end(body));
        h = await startQueueGateway(
          'jobs',
          { sink: { maxLength: 2, maxPayloadBytes: 1024, autoEvict: false } },
          [],
          undefined,
          current,
        );
        for (let i = 0; i < 4; i++) await put(h.port, `s${i}`);
        h.store.set({
          version: 2,
          services: {
            jobs: h.route([b.endpoint()], { rpc: { keepalive: 5000, worker_threads: 1, max_queue_size: 0 } }),
          },
        });
        await waitFor(async () => (await count(h!.port, '/api/predict/jobs/sink')) === 2, { what: 'a full sink' });
        expect(await count(h.port)).toBe(2);
        const first = await sink(h.port);
        await call(h.port, `/api/predict/jobs/sink?_indexes_=${first.map((f) => f.index).join(',')}`, {
          method: 'DELETE',
          headers: auth,
        });
        await waitFor(async () => (await count(h!.port)) === 0, { what: 'the rest consumed once the sink had room' });
        expect(await count(h.port, '/api/predict/jobs/sink')).toBe(2);
      });

      it('an instance leaving the snapshot finishes what it holds (drain) and takes nothing new', async () => {
        const held: ServerResponse[] = [];
        const slow = await backend((_req, res) => held.push(res));
        const fast = await backend((_req, res, body) => res.writeHead(200).end(`fast:${body}`));
        h = await startQueueGateway('jobs', {}, [], undefined, current);
        const ids = [];
        for (let i = 0; i < 4; i++) ids.push(await put(h.port, `d${i}`));
        h.store.set({
          version: 2,
          services: {
            jobs: h.route([slow.endpoint('slow')], { rpc: { keepalive: 5000, worker_threads: 2, max_queue_size: 0 } }),
          },
        });
        await waitFor(() => held.length === 2, { what: 'two items at the slow instance' });
        h.store.set({ version: 3, services: { jobs: h.route([fast.endpoint('fast')]) } });
        const idle = h.queues.waitForIdle('slow', 10_000);
        await waitFor(async () => (await sink(h!.port)).length === 2, { what: 'the other two at the fast instance' });
        for (const res of held) res.writeHead(200).end('slow');
        expect(await idle).toBe(true);
        await waitFor(async () => (await sink(h!.port)).length === 4, { what: 'all four answers' });
        const frames = await sink(h.port);
        expect(frames.map((f) => f.tags.requestId).sort()).toEqual([...ids].sort());
        expect(frames.filter((f) => f.data.toString() === 'slow')).toHaveLength(2);
      });
    });
  });
}

describe('timers that fire before the clock says they are due', () => {
  it('a backed-off instance is asked again when its pause is over, not at the next put', async () => {
    // Node's timers run on a monotonic clock and may fire a millisecond before
    // Date.now() reaches their due time; this clock makes every timer 20 ms early.
    const real = createRealClock();
    const early: Clock = { ...real, setTimeout: (fn, ms) => real.setTimeout(fn, Math.max(1, ms - 20)) };
    let calls = 0;
    const dropper = await backend((req) => {
      calls++;
      req.socket.destroy();
    });
    h = await startQueueGateway('jobs', { maxDelivery: 2 }, [], undefined, undefined, early);
    const id = await put(h.port, 'doomed');
    h.store.set({ version: 2, services: { jobs: h.route([dropper.endpoint()]) } });
    await waitFor(async () => (await sink(h!.port)).length === 1, { what: 'the failed item in the sink' });
    expect((await sink(h.port))[0]!.tags.requestId).toBe(id);
    expect(calls).toBe(2);
  });
});
