/** The revision traffic routes (issue 17, item 4): shapes checked here, values by the control plane, both typed with paths. */
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer } from './api-server.js';
import { createFakeControl } from '../../test/support/fake-control.js';
import type { ModifyRequest } from './control-plane.js';

const TOKEN = 'admin-secret-token';
let api: ApiServer | undefined;
let base = '';
let modified: ModifyRequest | undefined;

async function start() {
  const control = createFakeControl({
    async modify(name, req) {
      modified = req;
      return { service: control.describe(name), newRevision: true, scaled: false, warnings: [] };
    },
  });
  api = createApiServer({ control, adminToken: TOKEN });
  const port = await api.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
}

afterEach(async () => {
  await api?.close();
  api = undefined;
  modified = undefined;
});

async function send(
  method: string,
  path: string,
  body: unknown,
): Promise<{
  status: number;
  json: Record<string, unknown> & { traffic?: unknown; revision?: number; code?: string };
}> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe('PATCH /api/v1/services/{name}/traffic', () => {
  it('sets a split and answers the service with it', async () => {
    await start();
    const r = await send('PATCH', '/api/v1/services/demo/traffic', { traffic: { '1': 50, '2': 50 } });
    expect(r.status).toBe(200);
    expect(r.json.traffic).toEqual([
      { revision: 1, percent: 50, readyInstances: 0 },
      { revision: 2, percent: 50, readyInstances: 0 },
    ]);
  });

  it.each([
    [{ traffic: { '1': 50, '2': 40 } }, [{ path: 'traffic', message: 'percents must sum to 100, they sum to 90' }]],
    [
      { traffic: { '1': 50, '3': 50 } },
      [{ path: 'traffic.3', message: expect.stringContaining('revision 3 does not exist') }],
    ],
    [
      { traffic: { '1': 50, '2': 'half' } },
      [{ path: 'traffic.2', message: expect.stringContaining('whole percent 0–100') }],
    ],
    [{ traffic: { '1': 101, '2': -1 } }, [{ path: 'traffic.1' }, { path: 'traffic.2' }]],
  ])('refuses %j with BAD_REQUEST and paths', async (body, errors) => {
    await start();
    const r = await send('PATCH', '/api/v1/services/demo/traffic', body);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'BAD_REQUEST', errors });
  });

  it.each([[{}], [{ traffic: [50, 50] }], [{ traffic: 'x' }]])('refuses a body that is no split: %j', async (body) => {
    await start();
    const r = await send('PATCH', '/api/v1/services/demo/traffic', body);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BAD_REQUEST');
  });

  it('answers 404 for an unknown service', async () => {
    await start();
    const r = await send('PATCH', '/api/v1/services/nope/traffic', { traffic: { '1': 100 } });
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('SERVICE_NOT_FOUND');
  });
});

describe('POST /api/v1/services/{name}/promote', () => {
  it('promotes a revision', async () => {
    await start();
    const r = await send('POST', '/api/v1/services/demo/promote', { revision: 2 });
    expect(r.status).toBe(200);
    expect(r.json.revision).toBe(2);
  });

  it.each([[{}], [{ revision: 0 }], [{ revision: 'two' }]])('refuses %j with BAD_REQUEST', async (body) => {
    await start();
    const r = await send('POST', '/api/v1/services/demo/promote', body);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('BAD_REQUEST');
  });
});

describe('PATCH /api/v1/services/{name} with traffic', () => {
  it('passes the canary percent on to the control plane', async () => {
    await start();
    const r = await send('PATCH', '/api/v1/services/demo', { patch: { metadata: {} }, traffic: 10 });
    expect(r.status).toBe(200);
    expect(modified).toEqual({ patch: { metadata: {} }, traffic: 10 });
  });
});
