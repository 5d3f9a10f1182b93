import { describe, expect, it } from 'vitest';
import { firstDecisionReaching, simulate } from './simulate.js';
import { autoscalerSpec } from '../../test/support/autoscaler.js';

const STEP = 120_000;

describe('simulate: traces against the Pier policy', () => {
  it('a step load scales within the 6 s panic window, and the HPA decides later on the same trace', () => {
    const trace = [
      { at: 0, qps: 0 },
      { at: STEP, qps: 100 },
    ];
    const pier = simulate(trace, autoscalerSpec(), 'pier', { durationMs: 300_000, startDelayMs: 3000 });
    const hpa = simulate(trace, autoscalerSpec(), 'hpa', { durationMs: 300_000, startDelayMs: 3000 });
    const pierAt = firstDecisionReaching(pier, STEP, 5)!.at - STEP;
    const hpaAt = firstDecisionReaching(hpa, STEP, 5)!.at - STEP;
    expect(pierAt).toBeLessThanOrEqual(6000);
    expect(pier.decisions[0]!.panic).toBe(true);
    expect(hpaAt).toBeGreaterThan(pierAt);
    expect(hpaAt).toBeGreaterThanOrEqual(15_000);
    expect(pier.ticks.at(-1)!.current).toBe(5);
  });

  it('a spike of one tick scales up and holds (no flapping back) until the windows pass', () => {
    const trace = [
      { at: 0, qps: 10 },
      { at: STEP, qps: 200 },
      { at: STEP + 2000, qps: 10 },
    ];
    const r = simulate(trace, autoscalerSpec(), 'pier', { durationMs: 600_000 });
    const ups = r.decisions.filter((d) => d.to > d.from);
    expect(ups.length).toBeGreaterThan(0);
    const down = r.decisions.find((d) => d.to < d.from)!;
    // The scale-down waits out the burst mode and the 300 s scale-down window.
    expect(down.at - STEP).toBeGreaterThanOrEqual(300_000);
    expect(down.to).toBe(1);
    expect(r.decisions.filter((d) => d.to < d.from)).toHaveLength(1);
  });

  it('a slow ramp scales up step by step, never down, without panic', () => {
    const trace = Array.from({ length: 121 }, (_, i) => ({ at: i * 2000, qps: 40 + i / 2 }));
    const r = simulate(trace, autoscalerSpec(), 'pier', { initial: 2, durationMs: 300_000 });
    expect(r.decisions.length).toBeGreaterThanOrEqual(2);
    expect(r.decisions.every((d) => d.to > d.from)).toBe(true);
    expect(r.decisions.some((d) => d.panic)).toBe(false);
    expect(r.ticks.at(-1)!.current).toBe(5);
  });

  it('flapping load around the threshold does not flap the count', () => {
    const trace = Array.from({ length: 300 }, (_, i) => ({ at: i * 2000, qps: i % 2 === 0 ? 38 : 42 }));
    const r = simulate(trace, autoscalerSpec(), 'pier', { initial: 2, durationMs: 600_000 });
    expect(r.decisions).toEqual([]);
  });

  it('a harder flap (±30%) scales up once and stays', () => {
    const trace = Array.from({ length: 300 }, (_, i) => ({ at: i * 10_000, qps: i % 2 === 0 ? 28 : 52 }));
    const r = simulate(trace, autoscalerSpec(), 'pier', { initial: 2, durationMs: 3_000_000 });
    expect(r.decisions.filter((d) => d.to < d.from)).toEqual([]);
    expect(r.decisions.length).toBeLessThanOrEqual(1);
  });

  it('scales to zero after the grace period and activates on the next request', () => {
    const trace = [
      { at: 0, qps: 5 },
      { at: 10_000, qps: 0 },
      { at: 1_000_000, qps: 3 },
    ];
    const r = simulate(trace, autoscalerSpec({ min: 0 }), 'pier', { durationMs: 1_100_000, startDelayMs: 2000 });
    const zero = r.decisions.find((d) => d.to === 0)!;
    expect(zero.at).toBeGreaterThanOrEqual(600_000);
    expect(zero.at).toBeLessThan(620_000);
    const back = r.decisions.find((d) => d.from === 0)!;
    expect(back.at - 1_000_000).toBeLessThanOrEqual(4000);
    expect(back.reason).toMatch(/waiting with no instance/);
  });

  it('uses cpu when the config asks for it', () => {
    const trace = [{ at: 0, qps: 100 }];
    const spec = autoscalerSpec({ max: 20, strategies: [{ metricName: 'cpu', threshold: 50 }] });
    const r = simulate(trace, spec, 'pier', { cpuPercentPerQps: 2, durationMs: 120_000 });
    expect(r.ticks.at(-1)!.current).toBe(4);
  });
});
