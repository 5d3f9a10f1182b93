import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { CronscalerSpec } from '../spec/index.js';
import { Autoscaler, type ServiceView, type StatsLike } from './autoscaler.js';
import { autoscalerSpec } from '../../test/support/autoscaler.js';

/** A fake gateway and controller: `qps` requests a second land on the ready instances. */
function harness(opts: { min?: number; cron?: CronscalerSpec; autoscale?: boolean; start?: number } = {}) {
  const clock = new ManualClock(opts.start);
  const svc: ServiceView = {
    name: 'm',
    spec: {
      autoscaler: opts.autoscale === false ? undefined : autoscalerSpec({ min: opts.min ?? 1, grace: 60 }),
      cronscaler: opts.cron,
    },
    current: 1,
    ready: 1,
    pendingRequests: 0,
  };
  const load = { qps: 0, requests: 0 };
  const calls: { desired: number; reason: string }[] = [];
  const stats = (): StatsLike => ({
    services: { m: { instances: svc.ready > 0 ? { 'm-1': { requests: load.requests, inflight: 0 } } : {} } },
  });
  clock.setInterval(() => {
    if (svc.ready > 0) load.requests += load.qps;
  }, 1000);
  const scaler = new Autoscaler({
    clock,
    readStats: stats,
    readInstances: () => (svc.ready > 0 ? [{ id: 'm-1', ready: true }] : []),
    services: () => [svc],
    setDesired: (_name, desired, reason) => {
      calls.push({ desired, reason });
      svc.current = desired;
      svc.ready = desired; // instant start in this fake
    },
  });
  return { clock, svc, load, calls, scaler };
}

describe('Autoscaler loop', () => {
  it('samples every second, decides every 2 s, and calls setDesired only on change', () => {
    const h = harness();
    h.scaler.start();
    h.clock.advance(10_000);
    expect(h.calls).toEqual([]);
    expect(h.scaler.status('m')?.lastEvaluation?.valid).toBe(true);
    h.load.qps = 100;
    h.clock.advance(10_000);
    expect(h.calls.at(-1)?.desired).toBe(5);
    expect(h.scaler.status('m')).toMatchObject({ desired: 5, panic: true });
    expect(h.scaler.status('m')?.lastDecision?.reason).toMatch(/burst: qps/);
    const n = h.calls.length;
    h.clock.advance(10_000);
    expect(h.calls.length).toBe(n);
    h.scaler.stop();
  });

  it('stop() is safe twice and leaves no timers of its own', () => {
    const h = harness();
    const before = h.clock.pendingTimers();
    h.scaler.start();
    h.scaler.start();
    expect(h.clock.pendingTimers()).toBe(before + 2);
    h.scaler.stop();
    h.scaler.stop();
    expect(h.clock.pendingTimers()).toBe(before);
  });

  it('reports no decision before data, through status()', () => {
    const h = harness();
    h.scaler.sample();
    h.scaler.tick();
    expect(h.scaler.status('m')?.lastEvaluation).toMatchObject({ valid: false });
    expect(h.scaler.status('other')).toBeUndefined();
  });

  it('scales to zero after the grace period and back on a held request', () => {
    const h = harness({ min: 0 });
    h.scaler.start();
    h.clock.advance(62_000);
    expect(h.calls.at(-1)).toMatchObject({ desired: 0 });
    expect(h.calls.at(-1)?.reason).toMatch(/scale to zero/);
    h.svc.pendingRequests = 1;
    h.clock.advance(2000);
    expect(h.calls.at(-1)).toMatchObject({ desired: 1 });
    h.scaler.stop();
  });

  it('applies a cron job to the instance count when no autoscaler is on', () => {
    const start = new Date(2024, 2, 11, 7, 59, 0).getTime();
    const cron = { scaleJobs: [{ name: 'morning', schedule: '0 8 * * *', targetSize: 3 }] };
    const h = harness({ autoscale: false, cron, start });
    h.scaler.start();
    h.clock.advance(62_000);
    expect(h.calls).toEqual([{ desired: 3, reason: 'cron job morning (0 8 * * *) → 3 instance(s)' }]);
    expect(h.scaler.status('m')?.cron?.last?.name).toBe('morning');
    h.scaler.stop();
  });

  it('sets the autoscaler minimum from a cron job when one is on', () => {
    const start = new Date(2024, 2, 11, 7, 59, 0).getTime();
    const cron = { scaleJobs: [{ name: 'morning', schedule: '0 8 * * *', targetSize: 3 }] };
    const h = harness({ cron, start });
    h.scaler.start();
    h.clock.advance(62_000);
    expect(h.svc.current).toBe(3);
    expect(h.scaler.status('m')?.cron?.minOverride).toBe(3);
    h.scaler.stop();
  });

  it('logs a failing dependency instead of throwing from the timer', () => {
    const h = harness();
    const warnings: string[] = [];
    const broken = new Autoscaler({
      clock: h.clock,
      readStats: () => {
        throw new Error('gateway gone');
      },
      readInstances: () => [],
      services: () => [h.svc],
      setDesired: () => {},
      logger: { info: () => {}, warn: (_o, msg) => warnings.push(msg) },
    });
    expect(() => broken.sample()).toThrow('gateway gone');
    const timers = h.clock.pendingTimers();
    broken.start();
    h.clock.advance(3000);
    expect(warnings.length).toBeGreaterThan(0);
    broken.stop();
    expect(h.clock.pendingTimers()).toBe(timers);
  });

  it('scales an async service on its backlog, to zero once the queue is empty and idle, and back on a put', () => {
    const clock = new ManualClock();
    const svc: ServiceView = {
      name: 'q',
      spec: {
        autoscaler: autoscalerSpec({
          min: 0,
          max: 8,
          down: 0,
          grace: 30,
          strategies: [{ metricName: 'queue[avgbacklog]', threshold: 10 }],
        }),
      },
      current: 1,
      ready: 1,
      pendingRequests: 0,
      backlog: 0,
    };
    const calls: number[] = [];
    const scaler = new Autoscaler({
      clock,
      readStats: () => ({ services: {} }),
      readInstances: () => [],
      services: () => [svc],
      setDesired: (_name, desired) => {
        calls.push(desired);
        svc.current = desired;
        svc.ready = desired;
      },
    });
    scaler.start();
    svc.backlog = 40;
    clock.advance(4_000);
    expect(svc.current).toBe(4);
    svc.backlog = 0;
    clock.advance(40_000);
    expect(svc.current).toBe(0);
    expect(scaler.status('q')?.lastDecision?.reason).toMatch(/empty queue .* → scale to zero/);
    svc.backlog = 1;
    clock.advance(2_000);
    expect(svc.current).toBe(1);
    // 40 items on one instance is a burst (4× the threshold): burst mode holds 4 until the queue
    // has been empty for the zero grace period, which short-cuts it.
    expect(calls).toEqual([4, 0, 1]);
    scaler.stop();
  });
});
