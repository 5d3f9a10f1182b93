import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Backend, call, type Harness, service, startBackend } from '../../../test/support/gateway.js';
import { waitFor } from '../../../test/support/wait.js';
import { createGateway } from '../gateway.js';
import { createEndpointStore } from '../store.js';
import type { GroupRoute } from '../types.js';
import { sumGroups, type WorkerGateway } from './main.js';

/** `pier group desc` with `--gateway-workers 2`: stats().groups counts the calls every thread served. */

const GROUP_TOKEN = 'group-token-0123456789';

describe('group counts across gateway threads', () => {
  let h: Harness | undefined;
  let backend: Backend | undefined;
  afterEach(async () => {
    await h?.gw.close();
    await backend?.close();
    h = undefined;
    backend = undefined;
  });

  it('sums the threads’ counts', () => {
    expect(sumGroups([{ g: { a: 2 } }, { g: { a: 3, b: 1 }, h: { '': 4 } }, {}])).toEqual({
      g: { a: 5, b: 1 },
      h: { '': 4 },
    });
  });

  it('counts group calls from both threads', async () => {
    backend = await startBackend((_req: IncomingMessage, res: ServerResponse) => res.end('ok'));
    const a = service('a', [backend.endpoint('a1')], { token: 'a-token-0123456789' });
    const group: GroupRoute = {
      name: 'g',
      token: GROUP_TOKEN,
      mode: 'custom',
      members: [{ service: 'a', weight: 100, standalone: false }],
    };
    // The group is in the first snapshot, which every thread starts with.
    const store = createEndpointStore({ version: 1, services: { a }, groups: { g: group } });
    const gw = createGateway({ source: store, workers: 2 });
    h = { gw, store, port: await gw.listen(0, '127.0.0.1'), url: '' };
    for (let i = 0; i < 41; i++) {
      expect((await call(h.port, '/api/predict/g', { headers: { authorization: GROUP_TOKEN } })).status).toBe(200);
    }
    expect((h.gw as WorkerGateway).perThread().every((n) => n > 0)).toBe(true);
    const total = () => h!.gw.stats().groups?.g?.a ?? 0;
    await waitFor(() => total() >= 41, { what: 'every thread’s group count' });
    expect(total()).toBe(41);
  });
});
