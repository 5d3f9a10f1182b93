import { request } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import {
  type Backend,
  call,
  holdingBackend,
  type Harness,
  service,
  startBackend,
  startGateway,
  TOKEN,
} from '../../test/support/gateway.js';
import { waitFor } from '../../test/support/wait.js';

const auth = { authorization: TOKEN };

describe('gateway limits', () => {
  let backend: Backend | undefined;
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.gw.close();
    await backend?.close();
    h = undefined;
    backend = undefined;
  });

  it('queues up to max_queue_size and answers 450 when every instance and queue is full', async () => {
    const hb = await holdingBackend();
    backend = hb.backend;
    h = await startGateway([
      service('s', [backend.endpoint('a')], { rpc: { keepalive: 60_000, worker_threads: 1, max_queue_size: 1 } }),
    ]);
    const first = call(h.port, '/api/predict/s', { headers: auth });
    await waitFor(() => hb.held.length === 1, { what: 'first request at backend', timeoutMs: 10_000 });
    const second = call(h.port, '/api/predict/s', { headers: auth });
    await waitFor(() => h!.gw.inflight('a') === 2, { what: 'second request queued', timeoutMs: 10_000 });
    const third = await call(h.port, '/api/predict/s', { headers: auth });
    expect(third.status).toBe(450);
    expect(hb.held).toHaveLength(1);
    expect(h.gw.stats().services.s!.instances.a!.inflight).toBe(2);
    hb.releaseAll();
    expect((await first).status).toBe(200);
    await waitFor(() => hb.held.length === 2, { what: 'queued request sent', timeoutMs: 10_000 });
    hb.releaseAll();
    expect((await second).status).toBe(200);
    expect(await h.gw.waitForIdle('a', 5000)).toBe(true);
  });

  it('answers 450 with worker_threads 1 and no queue', async () => {
    const hb = await holdingBackend();
    backend = hb.backend;
    h = await startGateway([
      service('s', [backend.endpoint('a')], { rpc: { keepalive: 60_000, worker_threads: 1, max_queue_size: 0 } }),
    ]);
    const first = call(h.port, '/api/predict/s', { headers: auth });
    await waitFor(() => hb.held.length === 1);
    expect((await call(h.port, '/api/predict/s', { headers: auth })).status).toBe(450);
    hb.releaseAll();
    expect((await first).status).toBe(200);
  });

  it('answers 429 beyond rpc.rate_limit per second (on the injected clock)', async () => {
    backend = await startBackend((_req, res) => res.end('ok'));
    const clock = new ManualClock();
    h = await startGateway(
      [
        service('s', [backend.endpoint()], {
          rpc: { keepalive: 0, worker_threads: 5, max_queue_size: 5, rate_limit: 2 },
        }),
      ],
      { clock },
    );
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(h.port, '/api/predict/s', { headers: auth })).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    clock.advance(1000);
    expect((await call(h.port, '/api/predict/s', { headers: auth })).status).toBe(200);
  });

  it('answers 408 after rpc.keepalive and aborts the upstream request', async () => {
    const hb = await holdingBackend();
    backend = hb.backend;
    const clock = new ManualClock();
    h = await startGateway(
      [service('s', [backend.endpoint('a')], { rpc: { keepalive: 3000, worker_threads: 5, max_queue_size: 5 } })],
      { clock },
    );
    const pending = call(h.port, '/api/predict/s/slow', { headers: auth });
    await waitFor(() => hb.held.length === 1);
    clock.advance(2999);
    expect(hb.held[0]!.aborted).toBe(false);
    clock.advance(1);
    const r = await pending;
    expect(r.status).toBe(408);
    await waitFor(() => hb.held[0]!.aborted, { what: 'upstream abort', timeoutMs: 10_000 });
    expect(await h.gw.waitForIdle('a', 5000)).toBe(true);
  });

  it('logs 499 and aborts the upstream when the client goes away', async () => {
    const hb = await holdingBackend();
    backend = hb.backend;
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    h = await startGateway([service('s', [backend.endpoint('a')])], { logger });
    const req = request({ host: '127.0.0.1', port: h.port, path: '/api/predict/s', headers: auth, agent: false });
    req.on('error', () => {});
    req.end();
    await waitFor(() => hb.held.length === 1);
    req.destroy();
    await waitFor(() => hb.held[0]!.aborted, { what: 'upstream abort', timeoutMs: 10_000 });
    await waitFor(() => lines.some((l) => JSON.parse(l).status === 499), { what: '499 log line', timeoutMs: 10_000 });
    const entry = JSON.parse(lines.find((l) => JSON.parse(l).status === 499)!);
    expect(entry).toMatchObject({ method: 'GET', service: 's', instance: 'a', status: 499 });
    expect(lines.join('')).not.toContain(TOKEN);
    expect(await h.gw.waitForIdle('a', 5000)).toBe(true);
  });
});
