import { connect } from 'node:http2';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { type Harness, service, startGateway, TOKEN } from '../../../test/support/gateway.js';
import type { Endpoint, ServiceRoute } from '../types.js';
import {
  echoClient,
  type GrpcBackend,
  type Msg,
  metadata,
  startGrpcBackend,
  unary,
  closeAfterEach,
} from '../../../test/support/grpc.js';
import { waitFor } from '../../../test/support/wait.js';

const md = (extra: Record<string, string> = {}) =>
  metadata({ authorization: TOKEN, 'x-pier-service': 'echo', ...extra });

describe('gRPC gateway errors are proper gRPC statuses', () => {
  const { backends, clients, track } = closeAfterEach();
  let h: Harness | undefined;

  async function backend(name = 'a'): Promise<GrpcBackend> {
    const b = await startGrpcBackend(name);
    backends.push(b);
    return b;
  }

  async function gateway(routes: ServiceRoute[], opts: Parameters<typeof startGateway>[1] = {}) {
    h = track(await startGateway(routes, opts));
    const client = echoClient(h.port);
    clients.push(client);
    return client;
  }

  async function deadEndpoint(id: string): Promise<Endpoint> {
    const b = await startGrpcBackend(id);
    const ep = b.endpoint(id);
    await b.close();
    return ep;
  }

  it('UNAUTHENTICATED for a missing, malformed or wrong token; raw and Bearer tokens pass', async () => {
    const b = await backend();
    const client = await gateway([service('echo', [b.endpoint()], { enableGrpc: true })]);
    const missing = await unary(client, { say: 1 }, metadata({ 'x-pier-service': 'echo' }));
    expect(missing.err?.code).toBe(16);
    expect(missing.err?.details).toContain('missing authorization metadata');
    const wrong = await unary(client, { say: 1 }, md({ authorization: 'nope' }));
    expect(wrong.err?.code).toBe(16);
    expect(wrong.err?.details).toContain('wrong token');
    expect((await unary(client, { say: 1 }, md({ authorization: 'Basic abc' }))).err?.code).toBe(16);
    expect((await unary(client, { say: 1 }, md({ authorization: `Bearer ${TOKEN}` }))).err).toBeNull();
    expect((await unary(client, { say: 1 }, md({ 'x-pier-service': '', 'x-eas-service': 'echo' }))).err).toBeNull();
    expect(b.calls).toBe(2);
  });

  it('NOT_FOUND for an unknown service, no service named, or a service without enable_grpc', async () => {
    const b = await backend();
    const client = await gateway([
      service('echo', [b.endpoint()], { enableGrpc: true }),
      service('plain', [b.endpoint('p')]),
    ]);
    const unknown = await unary(client, {}, md({ 'x-pier-service': 'ghost' }));
    expect([unknown.err?.code, unknown.err?.details]).toEqual([5, 'service "ghost" not found']);
    const unnamed = await unary(client, {}, metadata({ authorization: TOKEN }));
    expect(unnamed.err?.code).toBe(5);
    expect(unnamed.err?.details).toContain('x-pier-service');
    const plain = await unary(client, {}, md({ 'x-pier-service': 'plain' }));
    expect(plain.err?.code).toBe(5);
    expect(plain.err?.details).toContain('enable_grpc');
    expect(b.calls).toBe(0);
  });

  it('issue 12 #11b: an unknown service without a valid token is UNAUTHENTICATED, as a known one', async () => {
    const b = await backend();
    const client = await gateway([service('echo', [b.endpoint()], { enableGrpc: true })]);
    const known = await unary(client, {}, metadata({ 'x-pier-service': 'echo' }));
    const unknown = await unary(client, {}, metadata({ 'x-pier-service': 'ghost' }));
    expect([unknown.err?.code, unknown.err?.details]).toEqual([known.err?.code, known.err?.details]);
    expect(unknown.err?.code).toBe(16);
    const wrong = await unary(client, {}, metadata({ 'x-pier-service': 'ghost', authorization: 'guess' }));
    expect(wrong.err?.code).toBe(16);
    expect(wrong.err?.details).not.toContain('ghost');
    expect(b.calls).toBe(0);
  });

  it('UNAVAILABLE with no ready instance, or when every instance refuses', async () => {
    const client = await gateway([service('echo', [], { enableGrpc: true })]);
    const none = await unary(client, {}, md());
    expect(none.err?.code).toBe(14);
    h!.store.set({
      version: 2,
      services: {
        echo: service('echo', [await deadEndpoint('d1'), await deadEndpoint('d2')], { enableGrpc: true }),
      },
    });
    const refused = await unary(client, {}, md());
    expect(refused.err?.code).toBe(14);
    expect(refused.err?.details).toContain('no healthy upstream');
  });

  it('fails over from a refusing instance, like HTTP: 0 failed calls', async () => {
    const good = await backend('good');
    const dead = await deadEndpoint('dead');
    const client = await gateway([service('echo', [dead, good.endpoint()], { enableGrpc: true })], {
      passiveHealthMs: 60_000,
    });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => unary(client, { say: i }, md())));
    expect(results.map((r) => r.err?.code ?? 0)).toEqual(Array(20).fill(0));
    expect(results.every((r) => r.value!.instance === 'good')).toBe(true);
    expect(good.calls).toBe(20);
  });

  it('RESOURCE_EXHAUSTED past rpc.rate_limit and when every worker slot and queue place is taken', async () => {
    const b = await backend();
    const rpc = { keepalive: 5000, worker_threads: 1, max_queue_size: 0, rate_limit: 2 };
    const client = await gateway([service('echo', [b.endpoint()], { enableGrpc: true, rpc })]);
    const slow = unary(client, { say: 'slow', delayMs: 300 }, md());
    await waitFor(() => b.calls === 1, { what: 'the slow call to start', timeoutMs: 5000 });
    const full = await unary(client, {}, md());
    expect(full.err?.code).toBe(8);
    expect(full.err?.details).toContain('busy');
    expect((await slow).err).toBeNull();
    const limited = await unary(client, {}, md());
    expect(limited.err?.code).toBe(8);
    expect(limited.err?.details).toContain('rate_limit');
  });

  it('DEADLINE_EXCEEDED: grpc-timeout reaches the instance as the remaining budget and is enforced', async () => {
    const b = await backend();
    const client = await gateway([service('echo', [b.endpoint()], { enableGrpc: true })]);
    const ok = await unary(client, { say: 1 }, md(), 5000);
    expect(ok.err).toBeNull();
    const budget = (ok.value!.seen as { deadlineMs: number }).deadlineMs;
    expect(budget).toBeGreaterThan(1000);
    expect(budget).toBeLessThanOrEqual(5000);
    const late = await unary(client, { hang: true }, md(), 150);
    expect(late.err?.code).toBe(4);
    await waitFor(() => h!.gw.inflight('a') === 0, { what: 'the slot to be released', timeoutMs: 5000 });
  });

  it('DEADLINE_EXCEEDED from the gateway when a server stream outlives its deadline mid-answer', async () => {
    const b = await backend();
    const client = await gateway([service('echo', [b.endpoint()], { enableGrpc: true })]);
    // grpc-js enforces deadlines itself too; send a raw grpc-timeout so the gateway acts first.
    const call = client.serverStream(
      { count: 100, everyMs: 20 },
      md({ 'grpc-timeout': '150m' }),
    ) as ClientReadableStream<Msg>;
    const got: Msg[] = [];
    const status = await new Promise<{ code: number; details: string }>((resolve) => {
      call.on('data', (m: Msg) => got.push(m));
      call.on('error', () => {});
      call.on('status', resolve);
    });
    expect(status.code).toBe(4);
    expect(status.details).toContain('grpc-timeout');
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(100);
    await waitFor(() => b.cancelled === 1, { what: 'the instance to see the cancel', timeoutMs: 5000 });
  });

  it('DEADLINE_EXCEEDED when no answer starts within rpc.keepalive', async () => {
    const b = await backend();
    const rpc = { keepalive: 100, worker_threads: 5, max_queue_size: 64 };
    const client = await gateway([service('echo', [b.endpoint()], { enableGrpc: true, rpc })]);
    const r = await unary(client, { hang: true }, md());
    expect(r.err?.code).toBe(4);
    expect(r.err?.details).toContain('rpc.keepalive');
  });

  it('a client cancel reaches the instance and frees the slot', async () => {
    const b = await backend();
    const client = await gateway([service('echo', [b.endpoint()], { enableGrpc: true })]);
    const call = client.serverStream({ count: 1000, everyMs: 10 }, md()) as ClientReadableStream<Msg>;
    call.on('error', () => {});
    await new Promise((resolve) => call.once('data', resolve));
    expect(h!.gw.inflight('a')).toBe(1);
    call.cancel();
    await waitFor(() => b.cancelled === 1, { what: 'the instance to see the cancel', timeoutMs: 5000 });
    expect(await h!.gw.waitForIdle('a', 5000)).toBe(true);
  });

  it('an instance that goes away mid-stream ends the call with an error status, not a hang', async () => {
    const b = await backend();
    const client = await gateway([service('echo', [b.endpoint()], { enableGrpc: true })]);
    const call = client.serverStream({ count: 1000, everyMs: 10 }, md()) as ClientReadableStream<Msg>;
    const status = new Promise<{ code: number }>((resolve) => {
      call.on('error', () => {});
      call.on('status', resolve);
    });
    await new Promise((resolve) => call.once('data', resolve));
    b.kill();
    expect([1, 13, 14]).toContain((await status).code);
    expect(await h!.gw.waitForIdle('a', 5000)).toBe(true);
  });

  it('HTTP/2 without application/grpc gets 505 naming HTTP/1.1; HTTP/1.1 on the same port is unchanged', async () => {
    await gateway([service('echo', [], { enableGrpc: true })]);
    const session = connect(`http://127.0.0.1:${h!.port}`);
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ ':path': '/api/predict/echo' });
        let body = '';
        let status = 0;
        req.on('response', (hd) => {
          status = Number(hd[':status']);
        });
        req.setEncoding('utf8');
        req.on('data', (c: string) => {
          body += c;
        });
        req.on('end', () => resolve({ status, body }));
        req.on('error', reject);
      });
      expect(answer.status).toBe(505);
      expect(answer.body).toContain('HTTP/1.1');
    } finally {
      session.close();
    }
    const res = await fetch(`${h!.url}/api/predict/echo`, { headers: { authorization: TOKEN } });
    expect(res.status).toBe(503);
  });
});
