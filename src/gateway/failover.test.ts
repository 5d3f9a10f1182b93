import { afterEach, describe, expect, it } from 'vitest';
import {
  type Backend,
  call,
  echoHandler,
  type Harness,
  service,
  startBackend,
  startGateway,
  TOKEN,
} from '../../test/support/gateway.js';

const auth = { authorization: TOKEN };

describe('gateway failover', () => {
  const backends: Backend[] = [];
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.gw.close();
    for (const b of backends.splice(0)) await b.close();
  });

  async function backend(handler: Parameters<typeof startBackend>[0] = echoHandler) {
    const b = await startBackend(handler);
    backends.push(b);
    return b;
  }

  it('retries a POST whose reused keep-alive socket the only instance closed unanswered, on a fresh one', async () => {
    // The keep-alive close race: the instance drops a pooled connection just as a
    // request is written on it. With one instance, the retry must go back to it.
    const perSocket = new WeakMap<object, number>();
    let served = 0;
    const only = await backend((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (req.method === 'POST' && n > 1) {
        req.socket.destroy();
        return;
      }
      served++;
      echoHandler(req, res);
    });
    h = await startGateway([service('s', [only.endpoint('only')])]);
    expect((await call(h.port, '/api/predict/s/warm', { headers: auth })).status).toBe(200);
    const r = await call(h.port, '/api/predict/s/post', { method: 'POST', headers: auth, body: 'once' });
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ method: 'POST', body: 'once' });
    expect(served).toBe(2);
  });

  it('retries on another instance when a connection is refused; every request succeeds', async () => {
    const dead = await backend();
    const deadEndpoint = dead.endpoint('dead');
    await dead.close();
    const good = await backend();
    let served = 0;
    good.server.on('request', () => served++);
    h = await startGateway([service('s', [deadEndpoint, good.endpoint('good')])], { passiveHealthMs: 60_000 });
    const results = [];
    for (let i = 0; i < 30; i++) {
      const body = i % 2 ? `payload ${i}` : undefined;
      results.push(await call(h.port, `/api/predict/s/r${i}`, { method: body ? 'POST' : 'GET', headers: auth, body }));
    }
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(results.every((r) => r.headers['x-pier-instance'] === 'good')).toBe(true);
    expect(JSON.parse(results[1]!.body).body).toBe('payload 1');
    expect(served).toBe(30);
    // Concurrent calls too.
    const many = await Promise.all(
      Array.from({ length: 20 }, () => call(h!.port, '/api/predict/s', { headers: auth })),
    );
    expect(many.every((r) => r.status === 200)).toBe(true);
  });

  it('answers 503 "no healthy upstream" when every instance refuses', async () => {
    const a = await backend();
    const b = await backend();
    const eps = [a.endpoint('a'), b.endpoint('b')];
    await a.close();
    await b.close();
    h = await startGateway([service('s', eps)]);
    const r = await call(h.port, '/api/predict/s', { headers: auth });
    expect(r.status).toBe(503);
    expect(r.body).toContain('no healthy upstream');
  });

  it('answers 504 when the instance drops the connection before answering', async () => {
    const b = await backend((req) => req.socket.destroy());
    h = await startGateway([service('s', [b.endpoint('a')])]);
    const r = await call(h.port, '/api/predict/s', { method: 'POST', headers: auth, body: 'x' });
    expect(r.status).toBe(504);
  });

  it('retries a GET on another instance when one dies before answering, but never a POST', async () => {
    const dying = await backend((req) => req.socket.destroy());
    const good = await backend();
    h = await startGateway([service('s', [dying.endpoint('a'), good.endpoint('b')])]);
    for (let n = 0; n < 10; n++) {
      const r = await call(h.port, '/api/predict/s', { headers: auth });
      expect(r.status).toBe(200);
      expect(r.headers['x-pier-instance']).toBe('b');
    }
    const posts = await Promise.all(
      Array.from({ length: 10 }, () => call(h!.port, '/api/predict/s', { method: 'POST', headers: auth, body: 'x' })),
    );
    // A POST that reached the dying instance is not sent again (it may have been processed).
    expect(posts.every((r) => r.status === 200 || r.status === 504)).toBe(true);
    // Sent together, least-outstanding balancing gives the dying instance its share.
    expect(posts.some((r) => r.status === 504)).toBe(true);
  });

  it('cuts the client connection when the instance drops mid-answer', async () => {
    const b = await backend((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setImmediate(() => req.socket.destroy());
    });
    h = await startGateway([service('s', [b.endpoint('a')])]);
    await expect(call(h.port, '/api/predict/s', { headers: auth })).rejects.toThrow();
  });

  it('closes the pool of an endpoint that left the snapshot', async () => {
    const b = await backend();
    h = await startGateway([service('s', [b.endpoint('a')])]);
    expect((await call(h.port, '/api/predict/s', { headers: auth })).status).toBe(200);
    h.store.set({ version: 2, services: { s: service('s', []) } });
    expect((await call(h.port, '/api/predict/s', { headers: auth })).status).toBe(503);
    expect(h.gw.stats().services.s!.instances.a).toBeUndefined();
    h.store.set({ version: 3, services: { s: service('s', [b.endpoint('a')]) } });
    expect((await call(h.port, '/api/predict/s', { headers: auth })).status).toBe(200);
  });
});
