import { request } from 'node:http';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  call,
  holdingBackend,
  service,
  startBackend,
  startGateway,
  TOKEN,
} from '../../test/support/gateway.js';
import { waitFor } from '../../test/support/wait.js';
import type { Gateway } from './gateway.js';
import type { WorkerGateway } from './workers/main.js';

/**
 * The limit tests with `workers: 2` (`--gateway-workers 2`): two threads accept on
 * one port, and every per-service limit holds for both together. Each call opens
 * its own connection, so the kernel spreads them over the two sockets; the tests
 * check that both threads took requests before they conclude anything.
 */

const auth = { authorization: TOKEN };

const both = (gw: Gateway) => (gw as WorkerGateway).perThread().every((n) => n > 0);

describe('gateway workers (2 threads, one port)', () => {
  let backend: Backend | undefined;
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    await backend?.close();
    gw = undefined;
    backend = undefined;
  });

  it('keeps rpc.rate_limit for the service, not per thread', async () => {
    backend = await startBackend((_req, res) => res.end('ok'));
    const h = await startGateway(
      [
        service('s', [backend.endpoint('a')], {
          rpc: { keepalive: 0, worker_threads: 64, max_queue_size: 64, rate_limit: 10 },
        }),
      ],
      { workers: 2 },
    );
    gw = h.gw;
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => call(h.port, '/api/predict/s', { headers: auth })),
    );
    const seconds = (Date.now() - started) / 1000;
    const admitted = answers.filter((a) => a.status === 200).length;
    expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    expect(both(gw)).toBe(true);
    // One bucket: a second of burst (10) plus what refilled meanwhile; a bucket per
    // thread would admit 10 in each thread up front.
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 + Math.ceil(10 * seconds) + 1);
  });

  it('keeps worker_threads and max_queue_size exact across threads', async () => {
    const hb = await holdingBackend();
    backend = hb.backend;
    const h = await startGateway(
      [service('s', [backend.endpoint('a')], { rpc: { keepalive: 60_000, worker_threads: 1, max_queue_size: 1 } })],
      { workers: 2 },
    );
    gw = h.gw;
    const first = call(h.port, '/api/predict/s', { headers: auth });
    await waitFor(() => hb.held.length === 1, { what: 'first request at backend' });
    const second = call(h.port, '/api/predict/s', { headers: auth });
    await waitFor(() => gw!.inflight('a') === 2, { what: 'second request queued' });
    const rest: number[] = [];
    for (let i = 0; i < 40 && (rest.length < 8 || !both(gw)); i++) {
      rest.push((await call(h.port, '/api/predict/s', { headers: auth })).status);
    }
    expect(both(gw)).toBe(true);
    expect(rest.every((s) => s === 450)).toBe(true);
    expect(hb.held).toHaveLength(1);
    expect(gw.stats().services.s!.instances.a!.inflight).toBe(2);
    hb.releaseAll();
    expect((await first).status).toBe(200);
    await waitFor(() => hb.held.length === 2, { what: 'queued request sent' });
    hb.releaseAll();
    expect((await second).status).toBe(200);
    expect(await gw.waitForIdle('a', 10_000)).toBe(true);
  });

  it('holds requests for a service scaled to zero in every thread, bounded for the service', async () => {
    backend = await startBackend((_req, res) => res.end('warm'));
    const demanded: string[] = [];
    const h = await startGateway([service('cold', [], { activate: true })], {
      workers: 2,
      activation: { maxQueue: 12 },
      onDemand: (s) => demanded.push(s),
    });
    gw = h.gw;
    const held: Promise<{ status: number; body: string }>[] = [];
    for (let i = 1; i <= 12; i++) {
      held.push(call(h.port, '/api/predict/cold', { headers: auth }));
      await waitFor(() => gw!.stats().services.cold?.pending === i, { what: `${i} held` });
    }
    // 12 connections all hashed to one socket: 2^-11.
    expect(both(gw)).toBe(true);
    const beyond = await call(h.port, '/api/predict/cold', { headers: auth });
    expect(beyond.status).toBe(503);
    expect(beyond.body).toContain('ACTIVATION_QUEUE_FULL');
    await waitFor(() => demanded.length >= 12, { what: 'onDemand from both threads' });
    h.store.set({ version: 2, services: { cold: service('cold', [backend.endpoint('w')], { activate: true }) } });
    const answers = await Promise.all(held);
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(gw.stats().services.cold?.pending).toBeUndefined();
  });

  it('sums every thread in stats() and in the metrics', async () => {
    backend = await startBackend((_req, res) => res.end('ok'));
    const registry = new Registry();
    const observed: number[] = [];
    const observer = { record: (_service: string, status: number) => observed.push(status) };
    const h = await startGateway([service('s', [backend.endpoint('a')])], { workers: 2, registry, observer });
    gw = h.gw;
    for (let i = 0; i < 20; i++) expect((await call(h.port, '/api/predict/s', { headers: auth })).status).toBe(200);
    expect(both(gw)).toBe(true);
    // The slot is released just after the answer's last byte, in the thread that sent it.
    await waitFor(() => gw!.inflight('a') === 0, { what: 'every slot released' });
    const stats = gw.stats().services.s!;
    expect(stats.requests).toBe(20);
    expect(stats.instances.a).toEqual({ requests: 20, inflight: 0 });
    const text = await registry.metrics();
    expect(text).toContain('pier_gateway_requests_total{service="s",instance="a",code="200"} 20');
    expect(text).toMatch(/pier_gateway_request_duration_seconds_count\{service="s",[^}]*\} 20/);
    // Every series of a thread's registry is merged, the console's history sees both threads.
    expect(text).toContain('pier_gateway_retries_total');
    await waitFor(() => observed.length === 20, { what: 'both threads observed by the main thread' });
    expect(observed.every((s) => s === 200)).toBe(true);
  });

  it('answers 408 after rpc.keepalive in either thread and aborts the upstream request', async () => {
    const hb = await holdingBackend();
    backend = hb.backend;
    const h = await startGateway(
      [service('s', [backend.endpoint('a')], { rpc: { keepalive: 500, worker_threads: 64, max_queue_size: 0 } })],
      { workers: 2 },
    );
    gw = h.gw;
    const calls: Promise<{ status: number }>[] = [];
    for (let i = 0; i < 40 && (calls.length < 4 || !both(gw)); i++) {
      calls.push(call(h.port, '/api/predict/s/slow', { headers: auth }));
      await waitFor(() => hb.held.length === calls.length, { what: 'request at backend' });
    }
    expect(both(gw)).toBe(true);
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.status)).toEqual(Array(calls.length).fill(408));
    await waitFor(() => hb.held.every((e) => e.aborted), { what: 'every upstream request aborted' });
    expect(await gw.waitForIdle('a', 10_000)).toBe(true);
  });

  it('records 499 in the thread whose client went away, and aborts its upstream request', async () => {
    const hb = await holdingBackend();
    backend = hb.backend;
    const observed: number[] = [];
    const observer = { record: (_service: string, status: number) => observed.push(status) };
    const h = await startGateway([service('s', [backend.endpoint('a')])], { workers: 2, observer });
    gw = h.gw;
    let left = 0;
    for (let i = 0; i < 40 && (left < 4 || !both(gw)); i++) {
      const req = request({ host: '127.0.0.1', port: h.port, path: '/api/predict/s', headers: auth, agent: false });
      req.on('error', () => {});
      req.end();
      await waitFor(() => hb.held.length === left + 1, { what: 'request at backend' });
      req.destroy();
      left++;
      await waitFor(() => hb.held[left - 1]!.aborted, { what: 'upstream abort' });
    }
    expect(both(gw)).toBe(true);
    await waitFor(() => observed.length === left, { what: 'every call recorded by the main thread' });
    expect(observed).toEqual(Array(left).fill(499));
    expect(await gw.waitForIdle('a', 10_000)).toBe(true);
  });

  it('drain waits for a request in flight in the other thread; close stops every thread', async () => {
    const hb = await holdingBackend();
    backend = hb.backend;
    const h = await startGateway(
      [service('s', [backend.endpoint('a')], { rpc: { keepalive: 60_000, worker_threads: 64, max_queue_size: 0 } })],
      {
        workers: 2,
      },
    );
    gw = h.gw;
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 40 && (gw as WorkerGateway).perThread()[1] === 0; i++) {
      calls.push(call(h.port, '/api/predict/s', { headers: auth }));
      await waitFor(() => hb.held.length === calls.length, { what: 'request at backend' });
    }
    expect((gw as WorkerGateway).perThread()[1]).toBeGreaterThan(0);
    expect(gw.inflight('a')).toBe(calls.length);
    expect(await gw.waitForIdle('a', 50)).toBe(false);
    const idle = gw.waitForIdle('a', 60_000);
    hb.releaseAll();
    expect(await idle).toBe(true);
    await Promise.all(calls);
    await gw.close();
    gw = undefined;
    const refused = await new Promise<string>((resolve) => {
      const s = connect(h.port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
