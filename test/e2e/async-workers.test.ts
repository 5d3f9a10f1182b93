/**
 * Issue 14: `pier server --gateway-workers 2` with an async service. Each call
 * opens its own connection, so the kernel spreads them over both gateway threads;
 * every put, get and watch is answered as with one thread (the worker thread
 * relays to the main thread's queue service).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServiceDescription } from '../../src/api/index.js';
import { decodeFrame, decodeFrameList, PROTOBUF } from '../../src/queue/index.js';
import { call } from '../support/gateway.js';
import { waitFor } from '../support/wait.js';
import { asyncModelSpec, callApi, freePort, type PierChild, startPierProcess } from './helpers.js';

const admin = 'async-workers-admin-token-0123456789';
const home = mkdtempSync(path.join(tmpdir(), 'pier-async-workers-'));
const children: PierChild[] = [];
const name = 'workersq';

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
  await waitFor(() => children.every((c) => c.child.exitCode !== null || c.child.signalCode !== null), {
    what: 'servers to exit',
    timeoutMs: 60_000,
  });
  rmSync(home, { recursive: true, force: true });
});

it('put → dispatch → get and watches through pier server --gateway-workers 2', { timeout: 300_000 }, async () => {
  const controlPort = await freePort();
  const gatewayPort = await freePort();
  const pier = await startPierProcess(home, controlPort, gatewayPort, admin, ['--gateway-workers', '2']);
  children.push(pier);
  const api = <T>(method: string, route: string, body?: unknown) =>
    callApi<T>(pier.controlUrl, admin, method, route, body);
  const spec = asyncModelSpec(name, 1, 4);
  expect((await api('POST', '/api/v1/services', spec)).status).toBe(201);
  const { token } = await waitFor(
    async () => {
      const d = (await api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
      return d.status === 'Running' ? d : undefined;
    },
    { what: 'the async service to run', timeoutMs: 120_000 },
  );
  const auth = { authorization: token };
  const queue = `/api/predict/${name}`;

  const sent = new Map<string, string>();
  for (let i = 0; i < 40; i++) {
    const r = await call(gatewayPort, queue, { method: 'POST', headers: auth, body: `w-${i}` });
    expect([r.status, r.body]).toEqual([200, String(i + 1)]);
    sent.set(r.headers['x-eas-queueservice-request-id'] as string, `w-${i}`);
  }
  const sinkCount = async () => Number((await call(gatewayPort, `${queue}/sink?_count_=true`, { headers: auth })).body);
  await waitFor(async () => (await sinkCount()) >= 40, { what: '40 answers in the sink', timeoutMs: 120_000 });
  const res = await fetch(`${pier.gatewayUrl}${queue}/sink?_index_=0&_length_=100&_timeout_=0s`, {
    headers: { ...auth, accept: PROTOBUF },
  });
  const frames = decodeFrameList(Buffer.from(await res.arrayBuffer()));
  expect(Object.fromEntries(frames.map((f) => [f.tags.requestId, f.data.toString()]))).toEqual(
    Object.fromEntries([...sent].map(([id, body]) => [id, `done:${body}`])),
  );
  // The PAI SDK's poll by request id, on fresh connections.
  for (const [id, body] of [...sent].slice(0, 8)) {
    const one = await call(gatewayPort, `${queue}/sink?requestId=${id}&_timeout_=0s&_raw_=false`, { headers: auth });
    expect(one.status).toBe(200);
    const [frame] = JSON.parse(one.body) as { data: string }[];
    expect(Buffer.from(frame!.data, 'base64').toString()).toBe(`done:${body}`);
  }

  // Watches: each a connection of its own, each sees the sink from index 0 and gives its item back on close.
  for (let i = 0; i < 8; i++) {
    const got: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${gatewayPort}${queue}/sink?_watch_=true&_index_=0&_window_=1`, {
      headers: auth,
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) got.push(decodeFrame(data).data.toString());
    });
    const status = await new Promise<number>((resolve) => {
      ws.once('open', () => resolve(101));
      ws.once('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    expect(status).toBe(101);
    await waitFor(() => got.length === 1, { what: `the first sink item at watch ${i}`, timeoutMs: 30_000 });
    expect(got[0]).toMatch(/^done:w-/);
    const closed = new Promise((r) => ws.once('close', r));
    ws.close();
    await closed;
  }
});
