import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerProcessMetrics } from '../build-info.js';
import { createGateway, type Gateway } from './gateway.js';
import { createEndpointStore } from './store.js';

let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('GET /metrics on a standalone gateway (issue 15)', () => {
  it('serves its registry with the admin token and answers 401 without it', async () => {
    const registry = new Registry();
    registerProcessMetrics(registry, 'gateway');
    gw = createGateway({
      source: createEndpointStore(),
      registry,
      metricsEndpoint: { registry, authorized: (req) => req.headers.authorization === 'Bearer admin' },
    });
    const port = await gw.listen(0, '127.0.0.1');
    const denied = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(denied.status).toBe(401);
    await denied.arrayBuffer();
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: 'Bearer admin' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/pier_build_info\{version="[^"]+",node="[^"]+",role="gateway"\} 1/);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('# TYPE pier_gateway_requests_total counter');
  });
});
