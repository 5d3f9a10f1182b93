import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
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

const run = promisify(execFile);
const auth = { authorization: TOKEN };

describe('gateway routing', () => {
  let backend: Backend;
  let h: Harness;
  afterEach(async () => {
    await h?.gw.close();
    await backend?.close();
  });

  async function setup() {
    backend = await startBackend(echoHandler);
    const registry = new Registry();
    h = await startGateway(
      [service('echo', [backend.endpoint('echo-1')]), service('empty', []), service('stopped', [], { stopped: true })],
      { registry },
    );
    return registry;
  }

  it('forwards the sub-path and query with any method and names the instance', async () => {
    await setup();
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : `hello ${method}`;
      const r = await call(h.port, '/api/predict/echo/v1/models/m:predict?x=1&y=%20z', { method, headers: auth, body });
      expect(r.status).toBe(200);
      expect(r.headers['x-pier-instance']).toBe('echo-1');
      const seen = JSON.parse(r.body);
      expect(seen.method).toBe(method);
      expect(seen.url).toBe('/v1/models/m:predict?x=1&y=%20z');
      expect(seen.body).toBe(body ?? '');
    }
    const root = JSON.parse((await call(h.port, '/api/predict/echo', { headers: auth })).body);
    expect(root.url).toBe('/');
    const rootQ = JSON.parse((await call(h.port, '/api/predict/echo?a=b', { headers: auth })).body);
    expect(rootQ.url).toBe('/?a=b');
  });

  it('drops hop-by-hop headers and adds X-Forwarded-*', async () => {
    await setup();
    const r = await call(h.port, '/api/predict/echo/h', {
      headers: {
        ...auth,
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': '1',
        te: 'trailers',
        'x-keep': 'yes',
      },
    });
    const seen = JSON.parse(r.body).headers;
    expect(seen['x-secret-hop']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['x-keep']).toBe('yes');
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${h.port}`);
  });

  it('answers 404 naming an unknown service and 503 "no healthy upstream" without endpoints', async () => {
    await setup();
    const missing = await call(h.port, '/api/predict/nope/x', { headers: auth });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'SERVICE_NOT_FOUND' });
    expect(missing.body).toContain('nope');
    for (const name of ['empty', 'stopped']) {
      const r = await call(h.port, `/api/predict/${name}`, { headers: auth });
      expect(r.status).toBe(503);
      expect(r.body).toContain('no healthy upstream');
    }
    expect((await call(h.port, '/elsewhere', { headers: auth })).status).toBe(404);
  });

  it('never lets a path escape the service name', async () => {
    await setup();
    for (const path of [
      '/api/predict/..%2F..',
      '/api/predict/..%2F..%2Fetc%2Fpasswd',
      '/api/predict/echo%2F..%2F..',
      '/api/predict/%2e%2e/%2e%2e/etc/passwd',
      '/api/predict/ech%6F',
      '/api/predict/1echo',
    ]) {
      const r = await call(h.port, path, { headers: auth });
      expect(r.status, path).toBe(404);
    }
    // Dot segments inside the sub-path are resolved, never forwarded.
    const r = await call(h.port, '/api/predict/echo/a/b/../../etc/%2e%2e/passwd', { headers: auth });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).url).toBe('/passwd');
    // Climbing out of the service prefix leaves the predict routes altogether.
    expect((await call(h.port, '/api/predict/echo/../../../etc/passwd', { headers: auth })).status).toBe(404);
  });

  it('works with curl', async () => {
    await setup();
    const { stdout } = await run('curl', [
      '-sS',
      '-H',
      `Authorization: Bearer ${TOKEN}`,
      '-d',
      '{"x":1}',
      '-w',
      '\n%{http_code}',
      `${h.url}/api/predict/echo/curl?q=1`,
    ]);
    const [body, code] = stdout.split('\n');
    expect(code).toBe('200');
    expect(JSON.parse(body!)).toMatchObject({ method: 'POST', url: '/curl?q=1', body: '{"x":1}' });
  });

  it('serves discovery on both paths, authenticated with --discovery token', async () => {
    backend = await startBackend(echoHandler);
    h = await startGateway([service('echo', [backend.endpoint('echo-1')]), service('empty', [])], {
      discovery: 'token',
    });
    for (const path of [
      '/api/v1/servicediscovery/upstreams/echo',
      '/exported/apis/eas.alibaba-inc.k8s.io/v1/upstreams/echo',
    ]) {
      const r = await call(h.port, path, { headers: auth });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({
        endpoints: { items: [{ ip: '127.0.0.1', port: backend.port, weight: 100 }] },
      });
      expect((await call(h.port, path)).status).toBe(401);
    }
    const empty = await call(h.port, '/api/v1/servicediscovery/upstreams/empty', { headers: auth });
    expect(JSON.parse(empty.body)).toEqual({ endpoints: { items: [] } });
  });

  it('rejects large bodies (413) and large headers (431)', async () => {
    await h?.gw.close();
    backend = await startBackend(echoHandler);
    h = await startGateway([service('echo', [backend.endpoint()])], { limits: { maxBodyBytes: 1000 } });
    const big = await call(h.port, '/api/predict/echo', { method: 'POST', headers: auth, body: 'x'.repeat(1001) });
    expect(big.status).toBe(413);
    // Chunked (no Content-Length): counted while it streams.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: h.port, path: '/api/predict/echo', method: 'POST', headers: auth, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write('y'.repeat(400));
      req.end();
    }).catch(() => 413);
    expect(chunked).toBe(413);
    const ok = await call(h.port, '/api/predict/echo', { method: 'POST', headers: auth, body: 'x'.repeat(1000) });
    expect(ok.status).toBe(200);
    const huge = await call(h.port, '/api/predict/echo', { headers: { ...auth, 'x-big': 'h'.repeat(17 * 1024) } });
    expect(huge.status).toBe(431);
  });

  it('answers malformed HTTP with 400 and closes a slow client', async () => {
    await h?.gw.close();
    backend = await startBackend(echoHandler);
    h = await startGateway([service('echo', [backend.endpoint()])], { limits: { headersTimeoutMs: 500 } });
    const bad = await rawExchange(h.port, 'GARBAGE\r\n\r\n');
    expect(bad.text).toMatch(/^HTTP\/1.1 400/);
    expect(bad.closed).toBe(true);
    const slow = connect(h.port, '127.0.0.1');
    const head = 'GET /api/predict/echo HTTP/1.1\r\nHost: x\r\n';
    let i = 0;
    const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    slow.on('error', () => {});
    const drip = setInterval(() => {
      if (i < head.length && !slow.destroyed) slow.write(head[i++]!);
    }, 100);
    await closed;
    clearInterval(drip);
    expect(i).toBeLessThan(head.length);
  });

  it('counts requests in stats and metrics', async () => {
    const registry = await setup();
    for (let k = 0; k < 3; k++) await call(h.port, '/api/predict/echo', { headers: auth });
    await call(h.port, '/api/predict/echo');
    const stats = h.gw.stats().services.echo!;
    expect(stats.requests).toBe(4);
    expect(stats.inflight).toBe(0);
    expect(stats.instances['echo-1']).toEqual({ requests: 3, inflight: 0 });
    const text = await registry.metrics();
    expect(text).toContain('pier_gateway_requests_total{service="echo",instance="echo-1",code="200"} 3');
    expect(text).toContain('pier_gateway_requests_total{service="echo",instance="",code="401"} 1');
    expect(text).toContain('pier_gateway_inflight_requests{service="echo",instance="echo-1"} 0');
    expect(text).toContain('pier_gateway_request_duration_seconds_count{service="echo",method="GET",class="2xx"} 3');
    expect(text).toContain('pier_gateway_request_duration_seconds_count{service="echo",method="GET",class="4xx"} 1');
    expect(text).toMatch(/pier_gateway_bytes_total\{service="echo",direction="out"\} \d+/);
  });
});

function rawExchange(port: number, text: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('error', () => {});
    s.on('close', () => resolve({ text: got, closed: true }));
  });
}
