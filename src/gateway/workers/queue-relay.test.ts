import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type Backend,
  call,
  type Harness,
  service,
  startBackend,
  startGateway,
  TOKEN,
} from '../../../test/support/gateway.js';
import { ASYNC, removeHome } from '../../../test/support/queue.js';
import { waitFor } from '../../../test/support/wait.js';
import { createQueueService, decodeFrame, decodeFrameList, PROTOBUF, type QueueService } from '../../queue/index.js';
import type { WorkerGateway } from './main.js';

/**
 * Issue 14: async services behind `--gateway-workers 2`. Every call opens its own
 * connection, so the kernel spreads them over both threads; a worker thread relays
 * its queue calls to the main thread's queue service, and the answers are those of
 * the main thread (indexes in order, request ids, protobuf frames, watches).
 */

const auth = { authorization: TOKEN };

describe('async services with gateway workers (issue 14)', () => {
  let h: Harness | undefined;
  let queues: QueueService | undefined;
  let model: Backend | undefined;
  const homes: string[] = [];
  const sockets: WebSocket[] = [];

  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await queues?.close();
    await h?.gw.close();
    await model?.close();
    queues = undefined;
    h = undefined;
    model = undefined;
    for (const home of homes.splice(0)) removeHome(home);
  });

  async function start(withInstance: boolean) {
    model = await startBackend((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(`done:${Buffer.concat(chunks).toString()}`));
    });
    const home = mkdtempSync(path.join(tmpdir(), 'pier-queue-workers-'));
    homes.push(home);
    const route = service('jobs', withInstance ? [model.endpoint('m1')] : [], { queue: ASYNC });
    h = await startGateway([route], {
      workers: 2,
      queues: {
        handle: (...args) => queues!.front.handle(...args),
        upgrade: (...args) => queues!.front.upgrade(...args),
      },
    });
    queues = createQueueService({ home, source: h.store });
    return h.port;
  }

  /** A POST whose body goes chunked in 16 KiB writes (no Content-Length); resolves with the answer's status and code. */
  function chunkedPost(port: number, path: string, size: number) {
    return new Promise<{ status: number; code: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: auth, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: JSON.parse(body).code }));
      });
      // The gateway may stop reading once it has answered; the answer is what counts.
      req.on('error', (err) => (req.writableEnded ? undefined : reject(err)));
      const chunk = Buffer.alloc(Math.min(size, 16 * 1024), 'x');
      for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
      req.end();
    });
  }

  const bothThreads = () => (h!.gw as WorkerGateway).perThread().every((n) => n > 0);

  function watch(port: number, query: string) {
    const frames: ReturnType<typeof decodeFrame>[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/predict/jobs/sink?_watch_=true&${query}`, { headers: auth });
    sockets.push(ws);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) frames.push(decodeFrame(data));
    });
    const opened = new Promise<number>((resolve) => {
      ws.once('open', () => resolve(101));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    return { ws, frames, opened };
  }

  it('put → dispatch → get through either thread, in order, with request ids and the sink in protobuf', async () => {
    const port = await start(true);
    const ids = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const r = await call(port, '/api/predict/jobs?color=red', { method: 'POST', headers: auth, body: `item-${i}` });
      expect([r.status, r.body]).toEqual([200, String(i + 1)]);
      const id = r.headers['x-eas-queueservice-request-id'] as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      ids.set(id, `item-${i}`);
    }
    expect(bothThreads()).toBe(true);
    await waitFor(
      async () => (await call(port, '/api/predict/jobs/sink?_count_=true', { headers: auth })).body === '40',
      { what: '40 answers in the sink' },
    );
    const res = await fetch(`http://127.0.0.1:${port}/api/predict/jobs/sink?_index_=0&_length_=100&_timeout_=0s`, {
      headers: { ...auth, accept: PROTOBUF },
    });
    expect(res.headers.get('content-type')).toContain(PROTOBUF);
    const frames = decodeFrameList(Buffer.from(await res.arrayBuffer()));
    expect(frames).toHaveLength(40);
    for (const f of frames) expect(f.data.toString()).toBe(`done:${ids.get(f.tags.requestId!)}`);
    // By request id, from either thread; the attributes and refusals are the main thread's.
    const [firstId, firstBody] = [...ids][0]!;
    for (let i = 0; i < 6; i++) {
      const one = await fetch(`http://127.0.0.1:${port}/api/predict/jobs/sink?_timeout_=0s&requestId=${firstId}`, {
        headers: { ...auth, accept: PROTOBUF },
      });
      expect(decodeFrameList(Buffer.from(await one.arrayBuffer())).map((f) => f.data.toString())).toEqual([
        `done:${firstBody}`,
      ]);
      const bad = await call(port, '/api/predict/jobs?_length_=-1', { headers: auth });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).code).toBe('BAD_REQUEST');
      expect((await call(port, '/api/predict/jobs/nope', { headers: auth })).status).toBe(404);
      expect((await call(port, '/api/predict/jobs', { headers: { authorization: 'wrong' } })).status).toBe(401);
    }
    // A put over the source's payload bound (1 KiB here): refused the same by either thread, big body
    // or not, with a Content-Length or chunked (where the bound is only found while reading).
    for (const size of [2048, 512 * 1024]) {
      for (let i = 0; i < 4; i++) {
        const big = await call(port, '/api/predict/jobs', { method: 'POST', headers: auth, body: 'x'.repeat(size) });
        expect(big.status).toBe(413);
        expect(JSON.parse(big.body).message).toContain('max_payload_size_kb');
        const chunked = await chunkedPost(port, '/api/predict/jobs', size);
        expect([chunked.status, chunked.code]).toEqual([413, 'BODY_TOO_LARGE']);
      }
    }
    expect((await call(port, '/api/predict/jobs?_count_=true', { headers: auth })).body).toBe('0');
    const attrs = JSON.parse((await call(port, '/api/predict/jobs/sink?_attrs_=true', { headers: auth })).body);
    expect(attrs['meta.name']).toBe('jobs/sink');
  });

  it('watches over WebSocket through either thread: delivery, commits, redelivery, refusals', async () => {
    const port = await start(false);
    // No instance: items stay in the input queue; a watch on the input takes them.
    const sinkPut = async (body: string) =>
      call(port, '/api/predict/jobs/sink', { method: 'POST', headers: auth, body });
    for (const b of ['a', 'b', 'c']) expect((await sinkPut(b)).status).toBe(200);
    for (let i = 0; i < 8; i++) {
      // Each watch is a connection of its own: some land on the worker thread.
      const w = watch(port, '_index_=0&_window_=2&_auto_commit_=false');
      expect(await w.opened).toBe(101);
      await waitFor(() => w.frames.length === 2, { what: `two frames in the window of watch ${i}` });
      expect(w.frames.map((f) => f.data.toString())).toEqual(['a', 'b']);
      const closed = new Promise((r) => w.ws.once('close', r));
      w.ws.close();
      await closed;
      await waitFor(
        async () =>
          (await call(port, '/api/predict/jobs/sink?_attrs_=true', { headers: auth })).body.includes(
            '"consumers.status.total":"0"',
          ),
        { what: 'the closed watch gone' },
      );
    }
    const w = watch(port, '_index_=0&_window_=5&_auto_commit_=true');
    expect(await w.opened).toBe(101);
    await waitFor(() => w.frames.length === 3, { what: 'a, b and c' });
    await waitFor(
      async () => (await call(port, '/api/predict/jobs/sink?_count_=true', { headers: auth })).body === '0',
      { what: 'auto-commit empties the sink' },
    );
    for (let i = 0; i < 6; i++) expect(await watch(port, '_window_=zero').opened).toBe(400);
    expect(bothThreads()).toBe(true);
  });
});

describe('a gateway without the queue service (pier gateway --control)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.gw.close();
    h = undefined;
  });

  it('answers an async service 503, naming the control plane’s gateway, over HTTP and WebSocket', async () => {
    h = await startGateway([service('jobs', [], { queue: ASYNC })]);
    const r = await call(h.port, '/api/predict/jobs', { method: 'POST', headers: auth, body: 'x' });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'UNAVAILABLE' });
    expect(JSON.parse(r.body).message).toContain("served by the control plane's gateway");
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/api/predict/jobs?_watch_=true`, { headers: auth });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    ws.terminate();
    expect(status).toBe(503);
  });
});
