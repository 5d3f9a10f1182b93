import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ServiceHistory } from '../history/index.js';
import { createFakeControl } from '../../test/support/fake-control.js';
import { type ApiServer, createApiServer } from './api-server.js';

const TOKEN = 'admin-secret-token';
let api: ApiServer | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(history?: ServiceHistory): Promise<string> {
  api = createApiServer({ control: createFakeControl(), adminToken: TOKEN, ...(history ? { history } : {}) });
  return `http://127.0.0.1:${await api.listen(0, '127.0.0.1')}`;
}

const get = (url: string) => fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });

describe('GET /api/v1/services/{name}/history', () => {
  it('answers the completed steps of the service', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const history = new ServiceHistory({ clock });
    history.record('demo', 200, 0.02);
    history.sampleInstances('demo', 2, 1);
    clock.advance(5000);
    const base = await start(history);
    const res = await get(`${base}/api/v1/services/demo/history`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { stepMs: number; points: { qps: Record<string, number>; ready: number }[] };
    expect(body.stepMs).toBe(5000);
    expect(body.points).toHaveLength(1);
    expect(body.points[0]).toMatchObject({ qps: { '2xx': 0.2, '4xx': 0, '5xx': 0 }, desired: 2, ready: 1 });
  });

  it('answers 404 for an unknown service and without a history', async () => {
    const base = await start(new ServiceHistory({ clock: new ManualClock() }));
    expect((await get(`${base}/api/v1/services/nope/history`)).status).toBe(404);
    await api?.close();
    const bare = await start();
    const res = await get(`${bare}/api/v1/services/demo/history`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});
