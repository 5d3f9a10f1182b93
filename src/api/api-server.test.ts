import { request } from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PierError } from '../errors.js';
import { type ApiServer, createApiServer } from './api-server.js';
import type { ControlPlane } from './control-plane.js';
import { createFakeControl } from '../../test/support/fake-control.js';

const TOKEN = 'admin-secret-token';
let api: ApiServer | undefined;
let base = '';

async function start(control: ControlPlane = createFakeControl(), extra: { registry?: Registry } = {}) {
  api = createApiServer({ control, adminToken: TOKEN, bodyLimitBytes: 1024, ...extra });
  const port = await api.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
}

afterEach(async () => {
  await api?.close();
  api = undefined;
});

const call = (path: string, init: RequestInit = {}, token: string | null = `Bearer ${TOKEN}`) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { ...(token ? { authorization: token } : {}), ...(init.headers as Record<string, string>) },
  });

describe('auth', () => {
  it('answers 401 with WWW-Authenticate when the token is missing', async () => {
    await start();
    const res = await call('/api/v1/services', {}, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('answers 401 for a wrong token, also on unknown routes', async () => {
    await start();
    expect((await call('/api/v1/services', {}, 'Bearer nope')).status).toBe(401);
    expect((await call('/api/v1/nothing', {}, 'nope')).status).toBe(401);
  });

  it('accepts the raw token as well as Bearer', async () => {
    await start();
    expect((await call('/api/v1/services', {}, TOKEN)).status).toBe(200);
    expect((await call('/api/v1/services')).status).toBe(200);
  });

  it('serves /healthz without a token', async () => {
    await start();
    const res = await call('/healthz', {}, null);
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe('errors', () => {
  it('maps a SERVICE_NOT_FOUND from the control plane to 404', async () => {
    await start();
    const res = await call('/api/v1/services/ghost');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'SERVICE_NOT_FOUND', message: 'service "ghost" not found' });
  });

  it('passes SPEC_INVALID errors and warnings through with 400', async () => {
    const control = createFakeControl({
      create: async () => {
        throw new PierError('SPEC_INVALID', 'spec is invalid', {
          errors: [{ path: 'containers[0].port', message: 'must be 1–65535' }],
          warnings: [{ path: 'cloud', message: 'ignored' }],
        });
      },
    });
    await start(control);
    const res = await call('/api/v1/services', { method: 'POST', body: '{"name":"x"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 'SPEC_INVALID',
      message: 'spec is invalid',
      errors: [{ path: 'containers[0].port', message: 'must be 1–65535' }],
      warnings: [{ path: 'cloud', message: 'ignored' }],
    });
  });

  it('answers 400 BAD_REQUEST with line and column for invalid JSON', async () => {
    await start();
    const res = await call('/api/v1/services', { method: 'POST', body: '{\n  "name": x\n}' });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.code).toBe('BAD_REQUEST');
    expect(body.message).toContain('line 2, column 11');
  });

  it('answers 413 when Content-Length is over the limit', async () => {
    await start();
    const res = await call('/api/v1/services', { method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(2000) }) });
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('BODY_TOO_LARGE');
  });

  it('answers 413 when a chunked body grows over the limit', async () => {
    await start();
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/api/v1/services`, {
        method: 'POST',
        headers: { authorization: TOKEN, 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write('{"pad":"');
      req.write('x'.repeat(800));
      req.write('x'.repeat(800));
      req.end('"}');
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).code).toBe('BODY_TOO_LARGE');
  });

  it('answers 404 ROUTE_NOT_FOUND for unknown routes and 405 with Allow for a wrong method', async () => {
    await start();
    const unknown = await call('/api/v1/nope');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe('ROUTE_NOT_FOUND');
    const wrong = await call('/api/v1/services/demo', { method: 'PUT' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, PATCH, DELETE');
  });

  it('rejects a scale without an integer instances field, naming the path', async () => {
    await start();
    const res = await call('/api/v1/services/demo/scale', { method: 'POST', body: '{"instances":-1}' });
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([{ path: 'instances', message: 'must be an integer ≥ 0, got -1' }]);
  });
});

describe('routes', () => {
  it('creates with 201, deletes with {deleted}', async () => {
    await start();
    const created = await call('/api/v1/services', { method: 'POST', body: '{"name":"svc"}' });
    expect(created.status).toBe(201);
    expect((await created.json()).service.name).toBe('svc');
    const deleted = await call('/api/v1/services/svc', { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ deleted: 'svc' });
  });

  it('passes query parameters of events and logs to the control plane', async () => {
    const seen: unknown[] = [];
    const control = createFakeControl({
      events: (name, query) => {
        seen.push({ name, query });
        return [];
      },
      logs: async (name, query) => {
        seen.push({ name, query });
        return 'hello\n';
      },
    });
    await start(control);
    await call('/api/v1/services/demo/events?sinceId=5&limit=10');
    const logs = await call('/api/v1/services/demo/logs?instance=demo-1&tail=3');
    expect(logs.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await logs.text()).toBe('hello\n');
    expect(seen).toEqual([
      { name: 'demo', query: { sinceId: 5, limit: 10 } },
      { name: 'demo', query: { instance: 'demo-1', tail: 3 } },
    ]);
  });

  it('passes a modify request through', async () => {
    let got: unknown;
    const control = createFakeControl({
      modify: async (name, req) => {
        got = req;
        return { service: control.describe(name), newRevision: false, scaled: true, warnings: [] };
      },
    });
    await start(control);
    const res = await call('/api/v1/services/demo', {
      method: 'PATCH',
      body: JSON.stringify({ set: { 'metadata.instance': 3 } }),
    });
    expect((await res.json()).scaled).toBe(true);
    expect(got).toEqual({ set: { 'metadata.instance': 3 } });
  });

  it('serves Prometheus metrics without auth, 404 without a registry', async () => {
    await start();
    expect((await call('/metrics', {}, null)).status).toBe(404);
    await api?.close();
    const registry = new Registry();
    registry.setDefaultLabels({ app: 'pier' });
    await start(createFakeControl(), { registry });
    const res = await call('/metrics', {}, null);
    expect(res.status).toBe(200);
    await res.text();
  });
});
