import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../clock.js';
import { createRemoteEndpointSource, type RemoteEndpointSource } from './remote-source.js';
import { type Backend, service, startBackend } from '../../test/support/gateway.js';
import type { EndpointSnapshot } from './types.js';
import { waitFor } from '../../test/support/wait.js';

/** Ack posts whose answer the reporter has handled (counted a turn after the response, past its promise callbacks). */
const handled = vi.hoisted(() => new Map<string, number>());
vi.mock('node:http', async (importOriginal) => {
  const http = await importOriginal<typeof import('node:http')>();
  const request = ((...args: Parameters<typeof http.request>) => {
    const req = http.request(...args);
    const url = String(args[0]);
    if (url.endsWith('/api/v1/endpoints/ack')) {
      req.on('response', () => setImmediate(() => handled.set(url, (handled.get(url) ?? 0) + 1)));
    }
    return req;
  }) as typeof http.request;
  return { ...http, default: { ...http, request }, request };
});

const snap = (version: number): EndpointSnapshot => ({
  version,
  services: { s: service('s', [{ instanceId: `i${version}`, host: '127.0.0.1', port: 1000 + version, revision: 1 }]) },
});

describe('createRemoteEndpointSource', () => {
  let control: Backend | undefined;
  let source: RemoteEndpointSource | undefined;
  afterEach(async () => {
    source?.close();
    await control?.close();
  });

  it('follows the NDJSON stream, ignores heartbeats, reconnects and keeps the last snapshot meanwhile', async () => {
    const auths: (string | undefined)[] = [];
    const open: ServerResponse[] = [];
    let connections = 0;
    control = await startBackend((req, res) => {
      auths.push(req.headers.authorization);
      if (req.method === 'POST' && req.url === '/api/v1/endpoints/ack') {
        res.writeHead(204).end();
        return;
      }
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/api/v1/endpoints/watch') {
        res.writeHead(404).end();
        return;
      }
      connections++;
      if (connections === 2) {
        res.writeHead(503).end('control plane restarting');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      if (connections === 1) {
        // A snapshot split across writes, then a heartbeat, then the stream breaks.
        const line = JSON.stringify(snap(1)) + '\n';
        res.write(line.slice(0, 10));
        res.write(line.slice(10) + '{"heartbeat":true}\n');
        open.push(res);
      } else {
        res.write(JSON.stringify(snap(2)) + '\n');
        open.push(res);
      }
    });
    source = createRemoteEndpointSource({
      controlUrl: `http://127.0.0.1:${control.port}`,
      adminToken: 'admin-secret',
      minBackoffMs: 20,
      maxBackoffMs: 100,
    });
    const seen: number[] = [];
    source.subscribe((s) => seen.push(s.version));
    await source.ready;
    expect(source.current().version).toBe(1);
    expect(auths[0]).toBe('Bearer admin-secret');
    open[0]!.socket?.destroy();
    await waitFor(() => connections >= 2, { what: 'reconnect attempt', timeoutMs: 10_000 });
    expect(source.current().version).toBe(1);
    await waitFor(() => source!.current().version === 2, { what: 'second snapshot', timeoutMs: 10_000 });
    expect(seen).toEqual([1, 2]);
    expect(source.current().services.s!.endpoints[0]!.port).toBe(1002);
    expect(connections).toBe(3);
  });

  it('serves an empty snapshot until the first one arrives and stops on close', async () => {
    let connections = 0;
    control = await startBackend((req, res) => {
      if (req.method === 'GET') connections++;
      res.writeHead(500).end();
    });
    const clock = new ManualClock();
    source = createRemoteEndpointSource({
      controlUrl: `http://127.0.0.1:${control.port}`,
      adminToken: 't',
      clock,
      minBackoffMs: 10,
      maxBackoffMs: 20,
    });
    expect(source.current()).toEqual({ version: 0, services: {} });
    await waitFor(
      () => {
        clock.advance(20);
        return connections >= 3;
      },
      { what: 'retries', timeoutMs: 10_000 },
    );
    // Reconnects only come from the back-off timer: wait until the last attempt has failed and its retry is set.
    await waitFor(() => clock.pendingTimers() === 1, { what: 'the next retry to be scheduled', timeoutMs: 10_000 });
    source.close();
    const after = connections;
    expect(clock.pendingTimers()).toBe(0);
    // Far past the longest back-off: a source that kept going would have connected again.
    clock.advance(1000);
    expect(connections).toBeLessThanOrEqual(after + 1);
    expect(connections).toBe(after);
  });
});

describe('createRemoteEndpointSource acknowledgements', () => {
  let control: Backend | undefined;
  let source: RemoteEndpointSource | undefined;
  afterEach(async () => {
    source?.close();
    await control?.close();
  });

  const ep = (id: string, port: number) => ({ instanceId: id, host: '127.0.0.1', port, revision: 1 });
  const two = (version: number, ids: string[]): EndpointSnapshot => ({
    version,
    services: {
      s: service(
        's',
        ids.map((id, n) => ep(id, 2000 + n)),
      ),
    },
  });

  interface Ack {
    gateway: string;
    version: number;
    inflight: Record<string, number>;
  }

  /** A control plane stub: one watch stream the test writes to, and the acks it receives. */
  async function startControl(answerAck: (n: number) => number = () => 204) {
    const watches: string[] = [];
    const acks: Ack[] = [];
    let stream: ServerResponse | undefined;
    control = await startBackend((req, res) => {
      if (req.method === 'POST') {
        let text = '';
        req.on('data', (c) => {
          text += c;
        });
        req.on('end', () => {
          acks.push(JSON.parse(text) as Ack);
          res.writeHead(answerAck(acks.length)).end();
        });
        return;
      }
      watches.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      stream = res;
    });
    const send = (s: EndpointSnapshot) => stream!.write(`${JSON.stringify(s)}\n`);
    return { watches, acks, send, url: `http://127.0.0.1:${control.port}` };
  }

  /** Advances the manual clock (ack ticks) until `check` holds. */
  async function advanceUntil(clock: ManualClock, check: () => boolean, what: string): Promise<void> {
    await waitFor(
      () => {
        if (check()) return true;
        clock.advance(500);
        return false;
      },
      { what, intervalMs: 5 },
    );
  }

  it('names itself on the watch, acks every snapshot, and reports drained instances until idle', async () => {
    const clock = new ManualClock();
    const c = await startControl();
    const inflight = new Map<string, number>([['i-a', 2]]);
    source = createRemoteEndpointSource({
      controlUrl: c.url,
      adminToken: 't',
      clock,
      silenceMs: 1e9,
      gatewayId: 'gw-test',
      inflight: (id) => inflight.get(id) ?? 0,
    });
    await waitFor(() => c.watches.length === 1, { what: 'the watch', timeoutMs: 10_000 });
    expect(c.watches[0]).toBe('/api/v1/endpoints/watch?gateway=gw-test');
    expect(source.gatewayId).toBe('gw-test');

    c.send(two(1, ['i-a', 'i-b']));
    await waitFor(() => c.acks.length === 1, { what: 'ack of version 1', timeoutMs: 10_000 });
    expect(c.acks[0]).toEqual({ gateway: 'gw-test', version: 1, inflight: {} });

    // i-a leaves the snapshot with 2 requests still running here.
    c.send(two(2, ['i-b']));
    await waitFor(() => c.acks.length === 2, { what: 'ack of version 2', timeoutMs: 10_000 });
    expect(c.acks[1]).toEqual({ gateway: 'gw-test', version: 2, inflight: { 'i-a': 2 } });
    await advanceUntil(clock, () => c.acks.length >= 3, 'a repeated ack');
    expect(c.acks[2]).toEqual({ gateway: 'gw-test', version: 2, inflight: { 'i-a': 2 } });

    inflight.set('i-a', 0);
    await advanceUntil(clock, () => c.acks.at(-1)!.inflight['i-a'] === 0, 'the ack reporting 0');
    const settled = c.acks.length;
    c.send(two(3, ['i-b', 'i-c']));
    await waitFor(() => c.acks.length === settled + 1, { what: 'ack of version 3', timeoutMs: 10_000 });
    expect(c.acks.at(-1)).toEqual({ gateway: 'gw-test', version: 3, inflight: {} });
    // Nothing in flight to report: once the answer to that ack is handled, no tick is left
    // (only the silence timer), so no more acks come however far the clock goes.
    const ackUrl = `${c.url}/api/v1/endpoints/ack`;
    await waitFor(() => handled.get(ackUrl) === c.acks.length, {
      what: 'the reporter to handle the answer to ack 3',
      timeoutMs: 10_000,
    });
    expect(clock.pendingTimers()).toBe(1);
    for (let n = 0; n < 5; n++) clock.advance(500);
    expect(clock.pendingTimers()).toBe(1);
    expect(c.acks.length).toBe(settled + 1);
    source.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('retries a failed ack on the next tick instead of throwing', async () => {
    const clock = new ManualClock();
    const c = await startControl((n) => (n === 1 ? 503 : 204));
    source = createRemoteEndpointSource({ controlUrl: c.url, adminToken: 't', clock, silenceMs: 1e9 });
    await waitFor(() => c.watches.length === 1, { what: 'the watch', timeoutMs: 10_000 });
    expect(c.watches[0]).toMatch(/^\/api\/v1\/endpoints\/watch\?gateway=gateway-[0-9a-f]{12}$/);
    c.send(two(1, ['i-a']));
    await waitFor(() => c.acks.length === 1, { what: 'the first ack', timeoutMs: 10_000 });
    await advanceUntil(clock, () => c.acks.length === 2, 'the retried ack');
    expect(c.acks[1]).toEqual(c.acks[0]);
    expect(c.acks[1]!.gateway).toBe(source.gatewayId);
  });
});
