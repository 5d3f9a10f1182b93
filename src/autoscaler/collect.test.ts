import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from './collect.js';

const T0 = 1_700_000_000_000;
const SPANS = { stableWindowMs: 60_000, panicWindowMs: 6000 };

function sampler() {
  const m = new ServiceMetrics(60_000);
  const at = (s: number) => T0 + s * 1000;
  const sample = (
    s: number,
    requests: Record<string, number>,
    inflight: Record<string, number> = {},
    cpuSeconds: Record<string, number | undefined> = {},
  ) => m.sample({ at: at(s), requests, inflight, cpuSeconds });
  return { m, at, sample };
}

describe('ServiceMetrics', () => {
  it('has no data before two samples, then computes qps across instances', () => {
    const { m, at, sample } = sampler();
    sample(0, { a: 100, b: 50 });
    expect(m.snapshot(at(0), SPANS).stable.qps).toBeUndefined();
    sample(1, { a: 110, b: 60 });
    sample(2, { a: 130, b: 70 });
    expect(m.snapshot(at(2), SPANS).stable.qps).toBe(25);
    expect(m.snapshot(at(2), SPANS).panic.qps).toBe(25);
  });

  it('treats a counter that went down as restarted, never negative', () => {
    const { m, at, sample } = sampler();
    sample(0, { a: 100 });
    sample(1, { a: 5 });
    expect(m.snapshot(at(1), SPANS).stable.qps).toBe(5);
  });

  it('counts a new instance from zero and forgets one that left', () => {
    const { m, at, sample } = sampler();
    sample(0, { a: 10 });
    sample(1, { a: 20, b: 4 });
    expect(m.snapshot(at(1), SPANS).stable.qps).toBe(14);
    sample(2, { b: 10 });
    expect(m.snapshot(at(2), { stableWindowMs: 1000, panicWindowMs: 1000 }).stable.qps).toBe(6);
    sample(3, { a: 3, b: 10 }); // a came back with a fresh counter
    expect(m.snapshot(at(3), { stableWindowMs: 1000, panicWindowMs: 1000 }).stable.qps).toBe(3);
  });

  it('sums in-flight requests and tracks the last request', () => {
    const { m, at, sample } = sampler();
    sample(0, { a: 0 }, { a: 0 });
    sample(1, { a: 0 }, { a: 2, b: 1 });
    sample(2, { a: 0 }, { a: 0 });
    const s = m.snapshot(at(2), SPANS);
    expect(s.stable.concurrency).toBe(1);
    expect(s.lastRequestAt).toBe(at(1));
    expect(s.dataSince).toBe(at(0));
  });

  it('computes cpu % per instance from CPU seconds, skipping resets and unknowns', () => {
    const { m, at, sample } = sampler();
    sample(0, {}, {}, { a: 10, b: 20, c: undefined });
    sample(2, {}, {}, { a: 11, b: 21.6, c: undefined });
    // a: 1 s / 2 s = 50%, b: 1.6 / 2 = 80% → mean 65%
    expect(m.snapshot(at(2), SPANS).stable.cpu).toBeCloseTo(65);
    sample(3, {}, {}, { a: 0.2, b: 22.0 });
    // a restarted (baseline again); b: 0.4 s / 1 s = 40%
    expect(m.snapshot(at(3), { stableWindowMs: 1000, panicWindowMs: 1000 }).stable.cpu).toBeCloseTo(40);
  });

  it('ignores samples out of order', () => {
    const { m, at, sample } = sampler();
    sample(0, { a: 0 });
    sample(2, { a: 20 });
    sample(1, { a: 1000 });
    expect(m.snapshot(at(2), SPANS).stable.qps).toBe(10);
  });

  it('reads an async service backlog as its last sample and counts queued items as activity', () => {
    const m = new ServiceMetrics(60_000);
    const at = (s: number) => T0 + s * 1000;
    const sample = (s: number, backlog: number) =>
      m.sample({ at: at(s), requests: {}, inflight: {}, cpuSeconds: {}, backlog });
    sample(0, 30);
    sample(1, 10);
    expect(m.snapshot(at(1), SPANS)).toMatchObject({
      stable: { backlog: 10 },
      panic: { backlog: 10 },
      lastRequestAt: at(1),
    });
    sample(2, 0);
    sample(3, 0);
    const snap = m.snapshot(at(3), SPANS);
    expect(snap.stable.backlog).toBe(0);
    expect(snap.lastRequestAt).toBe(at(1));
  });

  it('has no backlog for a service without a queue', () => {
    const { m, at, sample } = sampler();
    sample(0, { a: 1 });
    sample(1, { a: 2 });
    expect(m.snapshot(at(1), SPANS).stable.backlog).toBeUndefined();
  });
});
