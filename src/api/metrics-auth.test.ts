/** Issue 12, defect 11: `/metrics` on the control port was public wherever it listened. */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer, metricsAuthFor } from './api-server.js';
import { createFakeControl } from '../../test/support/fake-control.js';

const TOKEN = 'metrics-admin-token';
let api: ApiServer | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function metrics(mode: 'token' | 'none' | undefined, token?: string): Promise<number> {
  api = createApiServer({
    control: createFakeControl(),
    adminToken: TOKEN,
    registry: new Registry(),
    ...(mode ? { metricsAuth: mode } : {}),
  });
  const port = await api.listen(0, '127.0.0.1');
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  await res.text();
  await api.close();
  api = undefined;
  return res.status;
}

describe('--metrics-auth (issue 12, defect 11)', () => {
  it('token: 401 without the admin token or with a wrong one, 200 with it', async () => {
    expect(await metrics('token')).toBe(401);
    expect(await metrics('token', 'wrong')).toBe(401);
    expect(await metrics('token', TOKEN)).toBe(200);
  });

  it('none (and the library default): public', async () => {
    expect(await metrics('none')).toBe(200);
    expect(await metrics(undefined)).toBe(200);
  });

  it('defaults to token unless the control host is loopback', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])
      expect(metricsAuthFor(host)).toBe('none');
    for (const host of ['0.0.0.0', '::', '', '10.0.0.5', '192.168.1.2', 'pier.example.com']) {
      expect(metricsAuthFor(host), host).toBe('token');
    }
  });
});
