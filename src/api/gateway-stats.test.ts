import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ManualClock } from '../clock.js';
import { createStatsReporter } from '../gateway/index.js';
import { ADMIN_TOKEN, fakeApi, postJson } from '../../test/support/api.js';

const TOKEN = ADMIN_TOKEN;
const api = fakeApi();
afterEach(() => api.close());
const start = () => api.start();
const post = (base: string, body: unknown, token = TOKEN) => postJson(`${base}/api/v1/gateways/stats`, body, token);

describe('POST /api/v1/gateways/stats', () => {
  it('hands a valid report to the control plane and answers 204', async () => {
    const { control, base } = await start();
    const body = {
      gateway: 'gw-1',
      services: { echo: { pending: 1, instances: { 'echo-1': { requests: 9, inflight: 2 } } } },
      groups: { g: { echo: 4 } },
    };
    const res = await post(base, body);
    expect(res.status).toBe(204);
    expect(control.gateways.stats).toEqual([body]);
  });

  it('answers 400 with every bad path', async () => {
    const { control, base } = await start();
    const res = await post(base, {
      gateway: 'a b',
      services: { echo: { pending: -1, instances: { x: { requests: 1.5 } } } },
    });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { code: string; errors: { path: string }[] };
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.errors.map((e) => e.path).sort()).toEqual(
      [
        'gateway',
        'services.echo.instances.x.inflight',
        'services.echo.instances.x.requests',
        'services.echo.pending',
      ].sort(),
    );
    expect(control.gateways.stats).toEqual([]);
  });

  it('needs the admin token', async () => {
    const { base } = await start();
    expect((await post(base, { gateway: 'g', services: {} }, 'wrong')).status).toBe(401);
  });
});

describe('createStatsReporter', () => {
  it('posts the gateway’s counters each interval and keeps going after a failure', async () => {
    const { control, base } = await start();
    const clock = new ManualClock();
    let inflight = 3;
    const reporter = createStatsReporter({
      controlUrl: base,
      adminToken: TOKEN,
      gatewayId: 'gw-7',
      stats: () => ({
        services: { echo: { requests: 5, inflight, instances: { 'echo-1': { requests: 5, inflight } } } },
      }),
      clock,
      logger: pino({ level: 'silent' }),
    });
    try {
      await reporter.step();
      inflight = 1;
      await reporter.step();
      expect(control.gateways.stats).toEqual([
        { gateway: 'gw-7', services: { echo: { instances: { 'echo-1': { requests: 5, inflight: 3 } } } } },
        { gateway: 'gw-7', services: { echo: { instances: { 'echo-1': { requests: 5, inflight: 1 } } } } },
      ]);
      await api.close();
      await reporter.step(); // no control plane: logged, not thrown
    } finally {
      reporter.close();
    }
    expect(clock.pendingTimers()).toBe(0);
  });
});
