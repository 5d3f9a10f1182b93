import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { call, TOKEN } from '../../test/support/gateway.js';
import {
  type QueueBackend,
  type QueueHarness,
  queueBackends,
  removeHome,
  startQueueGateway,
} from '../../test/support/queue.js';
import { waitFor } from '../../test/support/wait.js';
import { decodeAttributes, decodeFrame, decodeFrameList, PROTOBUF } from './index.js';

const auth = { authorization: TOKEN };
const PB = { ...auth, accept: PROTOBUF };
let h: QueueHarness | undefined;
/** The backend of the describe block running now (each block sets it in beforeAll). */
let current: QueueBackend | undefined;
const homes: string[] = [];

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const home of homes.splice(0)) removeHome(home);
});

async function start(queue = {}) {
  h = await startQueueGateway('jobs', queue, [], undefined, current);
  homes.push(h.home);
  return h;
}

function put(port: number, body: string, query = '') {
  return call(port, `/api/predict/jobs${query}`, { method: 'POST', headers: auth, body });
}

function getPb(port: number, path: string) {
  return new Promise<{ status: number; frames: ReturnType<typeof decodeFrameList>; raw: Buffer }>((resolve, reject) => {
    fetch(`http://127.0.0.1:${port}${path}`, { headers: PB })
      .then(async (res) => {
        const raw = Buffer.from(await res.arrayBuffer());
        resolve({ status: res.status, raw, frames: raw.length ? decodeFrameList(raw) : [] });
      })
      .catch(reject);
  });
}

for (const store of queueBackends()) {
  describe(`on the ${store.name} queue backend`, () => {
    beforeAll(async () => {
      await store.setup();
      current = store;
    });
    afterAll(() => store.teardown());

    describe('queue service over HTTP (issue 16)', () => {
      it('put answers the index and a request id; get reads by index, tags and request id, in protobuf and JSON', async () => {
        const { port } = await start();
        const a = await put(port, 'first', '?color=red');
        const b = await put(port, 'second', '?color=blue');
        expect([a.status, a.body, b.body]).toEqual([200, '1', '2']);
        const idA = a.headers['x-eas-queueservice-request-id'] as string;
        expect(idA).toMatch(/^[0-9a-f-]{36}$/);

        const all = await getPb(
          port,
          '/api/predict/jobs?_index_=0&_length_=10&_timeout_=0s&_raw_=false&_auto_delete_=false',
        );
        expect(all.frames.map((f) => [f.index, f.data.toString(), f.tags.color])).toEqual([
          [1, 'first', 'red'],
          [2, 'second', 'blue'],
        ]);
        const blue = await getPb(port, '/api/predict/jobs?_length_=10&_timeout_=0s&color=blue');
        expect(blue.frames.map((f) => f.index)).toEqual([2]);
        const byId = await getPb(port, `/api/predict/jobs?_timeout_=0s&requestId=${idA}&_auto_delete_=true`);
        expect(byId.frames.map((f) => f.data.toString())).toEqual(['first']);
        // Auto-deleted: the same id is now pending again (204), and JSON shows the rest.
        const again = await call(port, `/api/predict/jobs?_timeout_=0s&requestId=${idA}`, { headers: auth });
        expect(again.status).toBe(204);
        const json = await call(port, '/api/predict/jobs?_length_=5&_timeout_=0s', { headers: auth });
        expect(JSON.parse(json.body)).toEqual([
          {
            index: 2,
            tags: { color: 'blue', requestId: b.headers['x-eas-queueservice-request-id'] },
            data: Buffer.from('second').toString('base64'),
          },
        ]);
      });

      it('get with a timeout waits for the next put', async () => {
        const { port } = await start();
        const waiting = getPb(port, '/api/predict/jobs?_index_=0&_timeout_=20s');
        await waitFor(
          async () => (await call(port, '/api/predict/jobs?_count_=true', { headers: auth })).status === 200,
        );
        await put(port, 'late');
        const got = await waiting;
        expect(got.frames.map((f) => f.data.toString())).toEqual(['late']);
      });

      it('attributes (JSON and protobuf), search, count, commit, truncate and priority', async () => {
        const { port } = await start();
        for (const body of ['a', 'b', 'c']) await put(port, body);
        await put(port, 'urgent', '?_priority_=1');
        const attrs = JSON.parse((await call(port, '/api/predict/jobs?_attrs_=true', { headers: auth })).body);
        expect(attrs).toMatchObject({
          'meta.backend': current?.name,
          'meta.name': 'jobs',
          'meta.header.user': 'X-EAS-QueueService-Redis-Uid',
          'meta.maxPayloadBytes': '1024',
          'stream.length': '4',
          'stream.lastEntry': '4',
          'consumers.status.total': '0',
        });
        const pb = await fetch(`http://127.0.0.1:${port}/api/predict/jobs?_attrs_=true`, { headers: PB });
        expect(decodeAttributes(Buffer.from(await pb.arrayBuffer()))['stream.length']).toBe('4');
        // The priority item waits behind nobody; item 3 waits behind the priority item and 1, 2.
        const s4 = JSON.parse((await call(port, '/api/predict/jobs?_search_=true&_index_=4', { headers: auth })).body);
        const s3 = JSON.parse((await call(port, '/api/predict/jobs?_search_=true&_index_=3', { headers: auth })).body);
        expect([s4, s3]).toEqual([
          { IsPending: false, WaitCount: 0 },
          { IsPending: false, WaitCount: 3 },
        ]);
        expect((await call(port, '/api/predict/jobs?_count_=true&_priority_=1', { headers: auth })).body).toBe('1');
        expect((await call(port, '/api/predict/jobs?_indexes_=1,4', { method: 'PUT', headers: auth })).status).toBe(
          200,
        );
        expect((await call(port, '/api/predict/jobs?_count_=true', { headers: auth })).body).toBe('2');
        expect(
          (await call(port, '/api/predict/jobs?_index_=3&_trunc_=true', { method: 'DELETE', headers: auth })).status,
        ).toBe(200);
        const left = await getPb(port, '/api/predict/jobs?_length_=10&_timeout_=0s');
        expect(left.frames.map((f) => f.index)).toEqual([3]);
        expect((await call(port, '/api/predict/jobs?_indexes_=3', { method: 'DELETE', headers: auth })).status).toBe(
          200,
        );
        expect((await call(port, '/api/predict/jobs?_count_=true', { headers: auth })).body).toBe('0');
      });

      it('bounded: a full queue answers 429, an oversized payload 413, and nothing is stored', async () => {
        const { port } = await start({ source: { maxLength: 2, maxPayloadBytes: 16, autoEvict: false } });
        await put(port, 'one');
        await put(port, 'two');
        const full = await put(port, 'three');
        expect([full.status, JSON.parse(full.body).code]).toEqual([429, 'QUEUE_FULL']);
        const big = await put(port, 'x'.repeat(17));
        expect([big.status, JSON.parse(big.body).code]).toEqual([413, 'BODY_TOO_LARGE']);
        expect((await call(port, '/api/predict/jobs?_count_=true', { headers: auth })).body).toBe('2');
      });

      it('auto_evict drops the oldest item instead of refusing', async () => {
        const { port } = await start({ source: { maxLength: 2, maxPayloadBytes: 16, autoEvict: true } });
        for (const b of ['one', 'two', 'three']) expect((await put(port, b)).status).toBe(200);
        const left = await getPb(port, '/api/predict/jobs?_length_=10&_timeout_=0s');
        expect(left.frames.map((f) => f.data.toString())).toEqual(['two', 'three']);
      });

      it('bad input: unknown operation, malformed index, bad nack code, no token, unknown queue → 4xx and no change', async () => {
        const { port } = await start();
        await put(port, 'keep');
        const cases: [string, string, number][] = [
          ['GET', '/api/predict/jobs?_bogus_=1', 400],
          ['GET', '/api/predict/jobs?_index_=-1', 400],
          ['GET', '/api/predict/jobs?_index_=abc', 400],
          ['GET', '/api/predict/jobs?_timeout_=forever', 400],
          ['PUT', '/api/predict/jobs?_indexes_=1,x', 400],
          ['DELETE', '/api/predict/jobs?_indexes_=', 400],
          ['DELETE', '/api/predict/jobs?_trunc_=true', 400],
          ['PATCH', '/api/predict/jobs', 405],
          ['GET', '/api/predict/jobs/other', 404],
          ['GET', '/api/predict/jobs?_watch_=true', 400],
        ];
        for (const [method, path, status] of cases) {
          const r = await call(port, path, { method, headers: auth });
          expect([method, path, r.status]).toEqual([method, path, status]);
          expect(JSON.parse(r.body).message.length).toBeGreaterThan(10);
        }
        const nack = await call(port, '/api/predict/jobs?_indexes_=1&_negative_=true', {
          method: 'PUT',
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: '_code_=not-a-code&_reason_=x',
        });
        expect(nack.status).toBe(400);
        expect((await call(port, '/api/predict/jobs?_count_=true', {})).status).toBe(401);
        expect((await call(port, '/api/predict/jobs?_count_=true', { headers: auth })).body).toBe('1');
      });

      it('end of stream refuses further puts', async () => {
        const { port } = await start();
        await put(port, 'last');
        expect((await call(port, '/api/predict/jobs?_eos_=true', { method: 'POST', headers: auth })).status).toBe(200);
        expect((await put(port, 'after')).status).toBe(409);
        const attrs = JSON.parse((await call(port, '/api/predict/jobs?_attrs_=true', { headers: auth })).body);
        expect(attrs['meta.state']).toBe('EndOfStream');
      });

      it('a deleted service takes its queues along: the same name starts empty at index 1', async () => {
        const h = await start();
        await put(h.port, 'old');
        await put(h.port, 'older');
        h.store.set({ version: 2, services: {} });
        h.store.set({ version: 3, services: { jobs: h.route([]) } });
        expect((await call(h.port, '/api/predict/jobs?_count_=true', { headers: auth })).body).toBe('0');
        expect((await put(h.port, 'new')).body).toBe('1');
      });

      it('an acknowledged put is on disk: a new queue service on the same home reads it', async () => {
        const first = await start();
        const a = await put(first.port, 'durable', '?k=v');
        await first.close();
        h = await startQueueGateway('jobs', {}, [], first.home, current);
        const got = await getPb(h.port, '/api/predict/jobs?_length_=10&_timeout_=0s');
        expect(got.frames.map((f) => [f.index, f.data.toString(), f.tags.requestId])).toEqual([
          [1, 'durable', a.headers['x-eas-queueservice-request-id']],
        ]);
        expect((await put(h.port, 'next')).body).toBe('2');
      });
    });

    describe('watch over WebSocket (issue 16)', () => {
      function watch(port: number, query: string, headers: Record<string, string> = auth) {
        const frames: ReturnType<typeof decodeFrame>[] = [];
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api/predict/jobs?_watch_=true&${query}`, { headers });
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          if (isBinary) frames.push(decodeFrame(data));
        });
        const opened = new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
          ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
        });
        return { ws, frames, opened };
      }

      it('delivers within the window, waits for commits, and redelivers what a closed watch held', async () => {
        const { port } = await start();
        for (const b of ['a', 'b', 'c']) await put(port, b);
        const w1 = watch(port, '_index_=0&_window_=2&_index_only_=false&_auto_commit_=false');
        await w1.opened;
        await waitFor(() => w1.frames.length === 2, { what: 'two frames in the window' });
        expect(w1.frames.map((f) => f.data.toString())).toEqual(['a', 'b']);
        const s = JSON.parse((await call(port, '/api/predict/jobs?_search_=true&_index_=1', { headers: auth })).body);
        expect(s.IsPending).toBe(true);
        await call(port, '/api/predict/jobs?_indexes_=1', { method: 'PUT', headers: auth });
        await waitFor(() => w1.frames.length === 3, { what: 'the third frame after a commit' });
        expect(w1.frames[2]!.data.toString()).toBe('c');
        w1.ws.close();
        await waitFor(async () =>
          (await call(port, '/api/predict/jobs?_attrs_=true', { headers: auth })).body.includes(
            '"consumers.status.total":"0"',
          ),
        );
        const w2 = watch(port, '_index_=0&_window_=5&_auto_commit_=true');
        await w2.opened;
        await waitFor(() => w2.frames.length === 2, { what: 'b and c again' });
        expect(w2.frames.map((f) => f.data.toString())).toEqual(['b', 'c']);
        await waitFor(
          async () => (await call(port, '/api/predict/jobs?_count_=true', { headers: auth })).body === '0',
          {
            what: 'auto-commit empties the queue',
          },
        );
        w2.ws.close();
      });

      it('a negative ack gives a watched item back; the next watcher gets it', async () => {
        const { port } = await start();
        await put(port, 'retry-me');
        const w1 = watch(port, '_window_=1');
        await w1.opened;
        await waitFor(() => w1.frames.length === 1, { what: 'the item at the first watcher' });
        const w2 = watch(port, '_window_=1');
        await w2.opened;
        const nack = await call(port, '/api/predict/jobs?_indexes_=1&_negative_=true', {
          method: 'PUT',
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: '_code_=Shutdown&_reason_=draining',
        });
        expect(nack.status).toBe(200);
        // w1 still has a free slot too; whichever watcher gets it, the item is delivered once more.
        await waitFor(() => w1.frames.length + w2.frames.length === 2, { what: 'the item delivered again' });
        expect([...w1.frames, ...w2.frames].map((f) => f.data.toString())).toEqual(['retry-me', 'retry-me']);
        w1.ws.close();
        w2.ws.close();
      });

      it('a watch without a token or with a malformed window is refused before the upgrade', async () => {
        const { port } = await start();
        await expect(watch(port, '_window_=1', {}).opened).rejects.toThrow(/401/);
        await expect(watch(port, '_window_=zero').opened).rejects.toThrow(/400/);
      });
    });
  });
}
