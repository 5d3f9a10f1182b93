import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, call, echoHandler, type Harness, service, startBackend, startGateway } from './test-helpers.js';

describe('gateway under wrong-token load', () => {
  let backend: Backend;
  let h: Harness;
  let agent: Agent;
  beforeAll(async () => {
    backend = await startBackend(echoHandler);
    h = await startGateway([service('s', [backend.endpoint()])]);
    agent = new Agent({ keepAlive: true, maxSockets: 16 });
  });
  afterAll(async () => {
    agent.destroy();
    await h.gw.close();
    await backend.close();
  });

  it('answers 10,000 requests with distinct wrong tokens with 401 and keeps no per-token state', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    const burst = async (from: number, count: number) => {
      const statuses = new Map<number, number>();
      let next = from;
      const worker = async () => {
        while (next < from + count) {
          const i = next++;
          const r = await call(h.port, '/api/predict/s', { headers: { authorization: `wrong-token-${i}` }, agent });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      return statuses;
    };
    await burst(0, 500); // warm up
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const statuses = await burst(1000, 10_000);
    gc?.();
    const growth = process.memoryUsage().heapUsed - before;
    expect([...statuses]).toEqual([[401, 10_000]]);
    expect(growth).toBeLessThan(50 * 1024 * 1024);
    expect(h.gw.stats().services.s!.inflight).toBe(0);
  });
});
