import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, fakeApi, postJson } from '../../test/support/api.js';
import { waitFor } from '../../test/support/wait.js';

const TOKEN = ADMIN_TOKEN;
const api = fakeApi();
afterEach(() => api.close());
const start = () => api.start();
const ack = (base: string, body: unknown, token = TOKEN) => postJson(`${base}/api/v1/endpoints/ack`, body, token);

describe('POST /api/v1/endpoints/ack', () => {
  it('hands a valid ack to the control plane and answers 204', async () => {
    const { control, base } = await start();
    const res = await ack(base, { gateway: 'gw-1', version: 7, inflight: { 'demo-1-abc': 2, 'demo-1-def': 0 } });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(control.gateways.acks).toEqual([
      { gateway: 'gw-1', version: 7, inflight: { 'demo-1-abc': 2, 'demo-1-def': 0 } },
    ]);
  });

  const invalid: { name: string; body: unknown; paths: string[] }[] = [
    { name: 'everything missing', body: {}, paths: ['gateway', 'version', 'inflight'] },
    { name: 'empty gateway', body: { gateway: '', version: 1, inflight: {} }, paths: ['gateway'] },
    { name: 'gateway with a slash', body: { gateway: 'a/b', version: 1, inflight: {} }, paths: ['gateway'] },
    { name: 'negative version', body: { gateway: 'g', version: -1, inflight: {} }, paths: ['version'] },
    { name: 'fractional version', body: { gateway: 'g', version: 1.5, inflight: {} }, paths: ['version'] },
    { name: 'inflight is a list', body: { gateway: 'g', version: 1, inflight: [1] }, paths: ['inflight'] },
    {
      name: 'bad counts',
      body: { gateway: 'g', version: 1, inflight: { a: -1, b: '2', c: 1 } },
      paths: ['inflight.a', 'inflight.b'],
    },
  ];
  for (const c of invalid) {
    it(`answers 400 with paths: ${c.name}`, async () => {
      const { control, base } = await start();
      const res = await ack(base, c.body);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; errors: { path: string }[] };
      expect(body.code).toBe('BAD_REQUEST');
      expect(body.errors.map((e) => e.path)).toEqual(c.paths);
      expect(control.gateways.acks).toEqual([]);
    });
  }

  it('answers 400 for a body that is not an object, and 401 without the admin token', async () => {
    const { base } = await start();
    expect((await ack(base, [1, 2])).status).toBe(400);
    expect((await ack(base, { gateway: 'g', version: 1, inflight: {} }, 'wrong')).status).toBe(401);
  });
});

describe('GET /api/v1/endpoints/watch?gateway=', () => {
  it('registers the gateway while its stream is open', async () => {
    const { control, base } = await start();
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/endpoints/watch?gateway=gw-7`, {
      headers: { authorization: TOKEN },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect([...control.gateways.watching]).toEqual([['gw-7', 1]]);
    abort.abort();
    await waitFor(() => control.gateways.watching.size === 0, { what: 'the watch to be closed', timeoutMs: 5000 });
  });

  it('does not register a watcher without ?gateway (curl)', async () => {
    const { control, base } = await start();
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/endpoints/watch`, {
      headers: { authorization: TOKEN },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    await waitFor(() => control.endpoints.listeners() === 1, { what: 'the stream to subscribe', timeoutMs: 5000 });
    expect(control.gateways.watching.size).toBe(0);
    abort.abort();
  });

  it('answers 400 for an invalid gateway id, before streaming', async () => {
    const { control, base } = await start();
    const res = await fetch(`${base}/api/v1/endpoints/watch?gateway=${encodeURIComponent('no spaces')}`, {
      headers: { authorization: TOKEN },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('gateway');
    expect(control.gateways.watching.size).toBe(0);
    expect(control.endpoints.listeners()).toBe(0);
  });

  it('unregisters the gateway when the server closes its stream', async () => {
    const { control, base } = await start();
    const res = await fetch(`${base}/api/v1/endpoints/watch?gateway=gw-8`, { headers: { authorization: TOKEN } });
    expect(control.gateways.watching.get('gw-8')).toBe(1);
    await api!.close();
    await res.text().catch(() => '');
    await waitFor(() => control.gateways.watching.size === 0, { what: 'the watch to be closed', timeoutMs: 5000 });
  });
});
