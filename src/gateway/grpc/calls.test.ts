import type { ClientDuplexStream, ClientReadableStream, ClientWritableStream } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { type Harness, service, startGateway, TOKEN } from '../../../test/support/gateway.js';
import {
  type EchoClient,
  echoClient,
  type GrpcBackend,
  type Msg,
  metadata,
  startGrpcBackend,
  unary,
  closeAfterEach,
} from '../../../test/support/grpc.js';

describe('gRPC through the gateway: the four call kinds, metadata and trailers', () => {
  const { backends, clients, track } = closeAfterEach();
  let h: Harness | undefined;

  async function setup(): Promise<{ client: EchoClient; backend: GrpcBackend }> {
    const backend = await startGrpcBackend('a');
    backends.push(backend);
    h = track(await startGateway([service('echo', [backend.endpoint()], { enableGrpc: true })]));
    const client = echoClient(h.port);
    clients.push(client);
    return { client, backend };
  }

  const md = () => metadata({ authorization: TOKEN, 'x-pier-service': 'echo' });

  it('unary: request metadata reaches the instance; header metadata and trailers come back untouched', async () => {
    const { client } = await setup();
    const m = md();
    m.set('x-custom', 'hello');
    m.set('x-bin-bin', Buffer.from([0, 1, 2, 255]));
    const r = await unary(client, { say: 'hi' }, m);
    expect(r.err).toBeNull();
    expect(r.value).toMatchObject({ said: 'hi', instance: 'a' });
    expect(r.value!.seen).toMatchObject({ 'x-custom': 'hello', 'x-bin-bin': '000102ff', authorization: TOKEN });
    expect(r.header!.get('x-header')).toEqual(['h-a']);
    expect(r.header!.get('x-pier-instance')).toEqual(['a']);
    expect(r.trailer!.get('x-trailer')).toEqual(['t-a']);
  });

  it('an error status, its message and trailing metadata from the instance pass through', async () => {
    const { client } = await setup();
    const r = await unary(client, { fail: 'bad input: ünïcode % sign' }, md());
    expect(r.err?.code).toBe(3);
    expect(r.err?.details).toBe('bad input: ünïcode % sign');
    expect(r.trailer!.get('x-why')).toEqual(['asked-to-fail']);
  });

  it('server streaming', async () => {
    const { client } = await setup();
    const call = client.serverStream({ count: 5 }, md()) as ClientReadableStream<Msg>;
    const got: Msg[] = [];
    for await (const m of call) got.push(m as Msg);
    expect(got.map((m) => m.i)).toEqual([0, 1, 2, 3, 4]);
  });

  it('client streaming', async () => {
    const { client } = await setup();
    const result = await new Promise<Msg>((resolve, reject) => {
      const call = client.clientStream(md(), (err: Error | null, v: Msg) =>
        err ? reject(err) : resolve(v),
      ) as ClientWritableStream<Msg>;
      for (let n = 1; n <= 100; n++) call.write({ n });
      call.end();
    });
    expect(result).toEqual({ sum: 5050, n: 100, instance: 'a' });
  });

  it('bidirectional streaming, message by message', async () => {
    const { client } = await setup();
    const call = client.bidi(md()) as ClientDuplexStream<Msg, Msg>;
    const replies: Msg[] = [];
    for (let i = 0; i < 3; i++) {
      const next = new Promise<Msg>((resolve) => call.once('data', resolve));
      call.write({ i });
      replies.push(await next);
    }
    call.end();
    await new Promise((resolve) => call.on('status', resolve));
    expect(replies).toEqual([0, 1, 2].map((i) => ({ i, instance: 'a' })));
  });

  it('large messages in both directions (flow control)', async () => {
    const { client } = await setup();
    const big = 'x'.repeat(3 * 1024 * 1024);
    const r = await unary(client, { say: big }, md());
    expect(r.err).toBeNull();
    expect((r.value!.said as string).length).toBe(big.length);
  });

  it('routes by :authority <service>.<anything> when no service metadata is sent', async () => {
    await setup();
    const byAuthority = echoClient(h!.port, 'echo.pier.local');
    clients.push(byAuthority);
    const r = await unary(byAuthority, { say: 'x' }, metadata({ authorization: `Bearer ${TOKEN}` }));
    expect(r.err).toBeNull();
    expect(r.value).toMatchObject({ said: 'x', instance: 'a' });
  });

  it('counts gRPC calls in stats and metrics like HTTP calls', async () => {
    const backend = await startGrpcBackend('a');
    backends.push(backend);
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    h = track(await startGateway([service('echo', [backend.endpoint()], { enableGrpc: true })], { registry }));
    const client = echoClient(h.port);
    clients.push(client);
    for (let i = 0; i < 3; i++) expect((await unary(client, { say: i }, md())).err).toBeNull();
    expect((await unary(client, { fail: 'x' }, md())).err?.code).toBe(3);
    expect(h.gw.stats().services.echo).toMatchObject({ requests: 4, inflight: 0, instances: { a: { requests: 4 } } });
    const text = await registry.metrics();
    expect(text).toContain('pier_gateway_requests_total{service="echo",instance="a",code="200"} 3');
    expect(text).toContain('pier_gateway_requests_total{service="echo",instance="a",code="400"} 1');
    expect(text).toContain('pier_gateway_inflight_requests{service="echo",instance="a"} 0');
  });
});
