/**
 * An API server on a fake control plane for route tests: `start()` in a test,
 * `close()` in afterEach; `postJson` sends a body with the admin token.
 */

import { type ApiServer, createApiServer } from '../../src/api/api-server.js';
import { createFakeControl, type FakeControl } from './fake-control.js';

export const ADMIN_TOKEN = 't0ken';

export interface FakeApi {
  start(): Promise<{ control: FakeControl; base: string }>;
  close(): Promise<void>;
}

export function fakeApi(): FakeApi {
  let api: ApiServer | undefined;
  return {
    async start() {
      const control = createFakeControl();
      api = createApiServer({ control, adminToken: ADMIN_TOKEN });
      const port = await api.listen(0, '127.0.0.1');
      return { control, base: `http://127.0.0.1:${port}` };
    },
    async close() {
      await api?.close();
      api = undefined;
    },
  };
}

export function postJson(url: string, body: unknown, token = ADMIN_TOKEN): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
