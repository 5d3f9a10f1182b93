import type { ClientReadableStream } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { type Harness, service, startGateway, TOKEN } from '../../../test/support/gateway.js';
import { echoClient, type Msg, metadata, startGrpcBackend, unary, closeAfterEach } from '../../../test/support/grpc.js';

describe('gRPC during a rollout', () => {
  const { backends, clients, track } = closeAfterEach();
  let h: Harness | undefined;

  it('an open server stream finishes on its old instance, new calls go to the new revision, 0 failed calls', async () => {
    const a = await startGrpcBackend('a');
    const b = await startGrpcBackend('b');
    backends.push(a, b);
    const epA = a.endpoint('a');
    const epB = { ...b.endpoint('b'), revision: 2 };
    h = track(await startGateway([service('echo', [epA], { enableGrpc: true })]));
    const client = echoClient(h.port);
    clients.push(client);
    const md = () => metadata({ authorization: TOKEN, 'x-pier-service': 'echo' });

    const stream = client.serverStream({ count: 30, everyMs: 10 }, md()) as ClientReadableStream<Msg>;
    const got: Msg[] = [];
    const streamStatus = new Promise<{ code: number }>((resolve) => {
      stream.on('data', (m: Msg) => got.push(m));
      stream.on('error', () => {});
      stream.on('status', resolve);
    });
    await new Promise((resolve) => stream.once('data', resolve));

    // Unary load across the switch.
    let stop = false;
    const outcomes: (string | number)[] = [];
    const load = (async () => {
      while (!stop) {
        const r = await unary(client, { say: 'x' }, md());
        outcomes.push(r.err ? (r.err.code ?? -1) : (r.value!.instance as string));
      }
    })();

    h.store.set({ version: 2, services: { echo: service('echo', [epB], { enableGrpc: true }) } });
    const drained = h.gw.waitForIdle('a', 10_000);
    expect(h.gw.inflight('a')).toBeGreaterThan(0);

    expect((await streamStatus).code).toBe(0);
    expect(got.map((m) => m.i)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(got.every((m) => m.instance === 'a')).toBe(true);
    expect(await drained).toBe(true);

    const after = await unary(client, { say: 'after' }, md());
    expect(after.value?.instance).toBe('b');
    stop = true;
    await load;
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => typeof o === 'number')).toEqual([]);
    expect(outcomes.at(-1)).toBe('b');
    expect(h.gw.stats().services.echo!.instances.a).toBeUndefined();
  });
});
