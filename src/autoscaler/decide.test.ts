import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { decide } from './decide.js';
import { autoscalerSpec, snap } from '../../test/support/autoscaler.js';
import { type DecideInput, type DeciderState, initialDeciderState } from './types.js';

const T0 = 1_700_000_000_000;

/** Runs decide once from a fresh state. */
function once(spec = autoscalerSpec(), input: Partial<DecideInput> = {}, state = initialDeciderState(), now = T0) {
  return decide(spec, { current: 1, ready: 1, metrics: snap({ qps: 20 }), ...input }, state, now);
}

describe('decide: one metric, one tick', () => {
  it.each([
    // [name, current, qps, want]
    ['step to 100 qps, threshold 20', 1, 100, 5],
    ['qps 84.2 on one instance', 1, 84.2, 5],
    ['within 10% above the threshold keeps the count', 2, 43.9, 2],
    ['within 10% below the threshold keeps the count', 2, 36.1, 2],
    ['just over the tolerance scales up', 2, 44.5, 3],
    ['exact multiple rounds to the multiple', 2, 60, 3],
  ])('%s', (_name, current, qps, want) => {
    const d = once(autoscalerSpec({ up: 0, down: 0 }), { current, ready: current, metrics: snap({ qps }, { qps: 0 }) });
    expect(d.valid).toBe(true);
    expect(d.desired).toBe(want);
  });

  it('explains the decision in the words pier desc shows', () => {
    const d = once(autoscalerSpec(), { metrics: snap({ qps: 84.2 }, { qps: 0 }) });
    expect(d.reason).toBe('qps 84.2 over threshold 20 per instance × 1 → 5 instances');
  });

  it('reads qps1k thresholds in thousandths of a request per second', () => {
    const spec = autoscalerSpec({ strategies: [{ metricName: 'qps1k', threshold: 500 }] });
    expect(once(spec, { metrics: snap({ qps: 2 }, { qps: 0 }) }).desired).toBe(4);
  });

  it('reads concurrency as in-flight requests per instance', () => {
    const spec = autoscalerSpec({ strategies: [{ metricName: 'concurrency', threshold: 4 }] });
    expect(once(spec, { current: 2, ready: 2, metrics: snap({ concurrency: 20 }, {}) }).desired).toBe(5);
  });

  it('scales cpu by the ratio of the per-instance mean to the threshold (HPA: 4 at 90%, target 60 → 6)', () => {
    const spec = autoscalerSpec({ max: 20, strategies: [{ metricName: 'cpu', threshold: 60 }] });
    expect(once(spec, { current: 4, ready: 4, metrics: snap({ cpu: 90 }, {}) }).desired).toBe(6);
  });

  it('takes the largest of several metrics', () => {
    const spec = autoscalerSpec({
      strategies: [
        { metricName: 'qps', threshold: 20 },
        { metricName: 'cpu', threshold: 50 },
      ],
    });
    const d = once(spec, { current: 2, ready: 2, metrics: snap({ qps: 60, cpu: 150 }, {}) });
    expect(d.desired).toBe(6);
    expect(d.reason).toMatch(/^cpu 150%/);
  });

  it('reads the short form strategies: {qps: 10}', () => {
    const spec = { ...autoscalerSpec(), scaleStrategies: [], strategies: { qps: 10 } };
    expect(once(spec, { metrics: snap({ qps: 30 }, {}) }).desired).toBe(3);
  });
});

describe('decide: missing metrics', () => {
  it('gives no decision without data, and never throws', () => {
    const d = once(autoscalerSpec(), { current: 3, ready: 3, metrics: snap({}, {}) });
    expect(d).toMatchObject({ valid: false, desired: 3 });
    expect(d.reason).toMatch(/no decision yet: no data for qps/);
  });

  it('decides on the metrics it has, upwards', () => {
    const spec = autoscalerSpec({
      strategies: [
        { metricName: 'qps', threshold: 20 },
        { metricName: 'cpu', threshold: 50 },
      ],
    });
    expect(once(spec, { current: 2, ready: 2, metrics: snap({ qps: 100 }, {}) }).desired).toBe(5);
  });

  it('does not scale down while a metric is missing (HPA: some metrics failing)', () => {
    const spec = autoscalerSpec({
      down: 0,
      strategies: [
        { metricName: 'qps', threshold: 20 },
        { metricName: 'cpu', threshold: 50 },
      ],
    });
    const d = once(spec, { current: 5, ready: 5, metrics: snap({ qps: 10 }, {}) });
    expect(d.desired).toBe(5);
    expect(d.reason).toMatch(/no scale-down while cpu has no data/);
  });

  it('still brings a count outside [min, max] back in range without data', () => {
    const d = once(autoscalerSpec({ min: 2, max: 4 }), { current: 7, ready: 7, metrics: snap({}, {}) });
    expect(d).toMatchObject({ valid: true, desired: 4 });
  });
});

describe('decide: clamp', () => {
  it.each([
    ['above max', 8, 400, 10],
    ['below min', 3, 0, 2],
  ])('%s', (_n, current, qps, want) => {
    const spec = autoscalerSpec({ min: 2, max: 10, down: 0 });
    const d = once(spec, { current, ready: current, metrics: snap({ qps }, { qps: 0 }) });
    expect(d.desired).toBe(want);
  });

  it('holds one instance with min 0 until the grace period has passed', () => {
    const spec = autoscalerSpec({ min: 0, down: 0 });
    const d = once(spec, {
      current: 2,
      ready: 2,
      metrics: snap({ qps: 0 }, { qps: 0 }, { lastRequestAt: T0 - 60_000 }),
    });
    expect(d.desired).toBe(1);
    expect(d.reason).toMatch(/min 1 until the zero grace period/);
  });
});

describe('decide: stabilization and rate limits', () => {
  it('holds a scale-down for the 300 s window, then follows the highest recommendation in it', () => {
    const clock = new ManualClock(T0);
    const spec = autoscalerSpec();
    let state: DeciderState = initialDeciderState();
    let current = 1;
    const step = (qps: number) => {
      const d = decide(spec, { current, ready: current, metrics: snap({ qps }, { qps }) }, state, clock.now());
      state = d.nextState;
      current = d.desired;
      return d;
    };
    current = 3;
    expect(step(100).desired).toBe(5);
    clock.advance(2000);
    const held = step(20);
    expect(held.desired).toBe(5);
    expect(held.reason).toMatch(/held at 5 by the 300 s scale-down window/);
    clock.advance(299_000);
    expect(step(20).desired).toBe(1);
  });

  it('applies a scale-up window: the lowest recommendation inside it wins', () => {
    const spec = autoscalerSpec({ up: 30 });
    let state = initialDeciderState();
    const d1 = decide(spec, { current: 2, ready: 2, metrics: snap({ qps: 40 }, { qps: 40 }) }, state, T0);
    state = d1.nextState;
    const d2 = decide(spec, { current: 2, ready: 2, metrics: snap({ qps: 100 }, { qps: 60 }) }, state, T0 + 2000);
    expect(d2.desired).toBe(2);
    expect(d2.reason).toMatch(/held at 2 by the 30 s scale-up window/);
    const d3 = decide(
      spec,
      { current: 2, ready: 2, metrics: snap({ qps: 100 }, { qps: 60 }) },
      d2.nextState,
      T0 + 31_000,
    );
    expect(d3.desired).toBe(5);
  });

  it('limits a scale-up to max(4 instances, 100%) per 15 s', () => {
    const spec = autoscalerSpec({ max: 100 });
    const d1 = once(spec, { current: 2, ready: 2, metrics: snap({ qps: 1000 }, { qps: 0 }) });
    expect(d1.desired).toBe(6);
    expect(d1.reason).toMatch(/limited to 6 by the scale rate/);
    // Within the same period the start is still 2: no further step.
    const d2 = decide(
      spec,
      { current: 6, ready: 6, metrics: snap({ qps: 1000 }, { qps: 0 }) },
      d1.nextState,
      T0 + 5000,
    );
    expect(d2.desired).toBe(6);
    // A new period starts from 6: 100% → 12.
    const d3 = decide(
      spec,
      { current: 6, ready: 6, metrics: snap({ qps: 1000 }, { qps: 0 }) },
      d2.nextState,
      T0 + 16_000,
    );
    expect(d3.desired).toBe(12);
  });

  it('allows a scale-down of 100% per 15 s (to the floor in one step)', () => {
    const spec = autoscalerSpec({ down: 0 });
    expect(once(spec, { current: 8, ready: 8, metrics: snap({ qps: 0 }, { qps: 0 }) }).desired).toBe(1);
  });

  it('keeps its history bounded', () => {
    let state = initialDeciderState();
    for (let i = 0; i < 1000; i++) {
      state = decide(
        autoscalerSpec(),
        { current: 1, ready: 1, metrics: snap({ qps: 20 }) },
        state,
        T0 + i * 2000,
      ).nextState;
    }
    expect(state.recommendations.length).toBeLessThanOrEqual(151);
    expect(state.scaleEvents.length).toBe(0);
  });
});

describe('decide: burst (panic) mode', () => {
  it('scales a step from 0 to 100 qps (threshold 20) to 5 instances at the first tick in panic', () => {
    const d = once(autoscalerSpec(), { metrics: snap({ qps: 10 }, { qps: 100 }) });
    expect(d).toMatchObject({ valid: true, desired: 5, panic: true });
    expect(d.reason).toMatch(/^burst: qps 100 over the last 6 s against threshold 20/);
  });

  it('does not enter below 200% of the ready instances', () => {
    const d = once(autoscalerSpec(), { current: 2, ready: 2, metrics: snap({ qps: 40 }, { qps: 60 }) });
    expect(d.panic).toBe(false);
    expect(d.desired).toBe(2);
  });

  it('skips the scale-up window while in panic', () => {
    const d = once(autoscalerSpec({ up: 60 }), { metrics: snap({ qps: 10 }, { qps: 100 }) });
    expect(d.desired).toBe(5);
  });

  it('never scales below the episode peak, and ends 60 s after the last renewal', () => {
    const spec = autoscalerSpec({ down: 0 });
    const d1 = once(spec, { metrics: snap({ qps: 10 }, { qps: 100 }) });
    const quiet = { current: 5, ready: 5, metrics: snap({ qps: 10 }, { qps: 10 }) };
    const d2 = decide(spec, quiet, d1.nextState, T0 + 30_000);
    expect(d2).toMatchObject({ desired: 5, panic: true });
    const d3 = decide(spec, quiet, d2.nextState, T0 + 61_000);
    expect(d3).toMatchObject({ desired: 1, panic: false });
    expect(d3.reason).toMatch(/burst mode over/);
  });

  it('is not part of the HPA policy', () => {
    const d = decide(
      autoscalerSpec(),
      { current: 1, ready: 1, metrics: snap({ qps: 10 }, { qps: 100 }) },
      initialDeciderState(),
      T0,
      'hpa',
    );
    expect(d).toMatchObject({ desired: 1, panic: false });
  });
});

describe('decide: scale to zero and back', () => {
  const spec = autoscalerSpec({ min: 0, grace: 600, activation: 2 });
  const idle = (lastRequestAt: number | undefined, concurrency = 0) =>
    snap({ qps: 0, concurrency }, { qps: 0, concurrency }, { lastRequestAt, dataSince: T0 - 3600_000 });

  it.each([
    ['599 s idle keeps one instance', T0 - 599_000, 0, 1],
    ['600 s idle scales to zero', T0 - 600_000, 0, 0],
    ['a request still in flight keeps one', T0 - 900_000, 1, 1],
    ['no request ever: the idle clock starts with the data', undefined, 0, 0],
  ])('%s', (_n, last, concurrency, want) => {
    const d = once(spec, { current: 1, ready: 1, metrics: idle(last, concurrency) });
    expect(d.desired).toBe(want);
  });

  it('never scales to zero with min ≥ 1', () => {
    const d = once(autoscalerSpec({ min: 1 }), { current: 1, ready: 1, metrics: idle(T0 - 3600_000) });
    expect(d.desired).toBe(1);
  });

  it('activates scaleUpActivationReplicas at once when a request waits at zero', () => {
    const d = once(spec, { current: 0, ready: 0, pendingRequests: 1, metrics: snap({}, {}) });
    expect(d).toMatchObject({ valid: true, desired: 2 });
    expect(d.reason).toMatch(/1 request\(s\) waiting with no instance → activate 2 instances/);
  });

  it('stays at zero without waiting requests', () => {
    const d = once(spec, { current: 0, ready: 0, pendingRequests: 0, metrics: idle(T0 - 3600_000) });
    expect(d.desired).toBe(0);
  });
});

describe('decide: queue[avgbacklog] (async services)', () => {
  const spec = autoscalerSpec({
    min: 0,
    max: 10,
    up: 0,
    down: 0,
    grace: 600,
    strategies: [{ metricName: 'queue[avgbacklog]', threshold: 10 }],
  });
  const queue = (backlog: number, lastRequestAt?: number) =>
    snap({ backlog }, { backlog }, { lastRequestAt, dataSince: T0 - 3600_000 });

  it.each([
    // [name, current, windowed backlog, backlog now, idle since, want]
    ['35 items over one instance at 10 per instance → 4', 1, 35, 35, T0, 4],
    ['backlog within 10% of 10 per instance keeps 3', 3, 32, 32, T0, 3],
    ['a burst of 200 on two instances → 6, the scale-up rate (4 more per 15 s)', 2, 200, 200, T0, 6],
    ['a shrinking backlog scales in', 6, 12, 12, T0, 2],
    ['an empty queue keeps one until the grace period', 4, 0, 0, T0 - 10_000, 1],
    ['empty and idle for the grace period → zero', 1, 0, 0, T0 - 600_000, 0],
    ['items still queued keep the service above zero after the grace period', 1, 0, 3, T0 - 900_000, 1],
    ['the first put at zero wakes it', 0, 0, 1, T0 - 3600_000, 1],
    ['a backlog at zero wakes it to what the backlog asks', 0, 45, 45, T0, 5],
    ['an empty queue at zero stays at zero', 0, 0, 0, T0 - 3600_000, 0],
  ])('%s', (_name, current, windowed, now, idleSince, want) => {
    const d = once(spec, { current, ready: current, backlog: now, metrics: queue(windowed, idleSince) });
    expect(d.valid).toBe(true);
    expect(d.desired).toBe(want);
  });

  it('says why in the words pier desc shows', () => {
    expect(once(spec, { current: 1, ready: 1, backlog: 35, metrics: queue(35, T0) }).reason).toMatch(
      /^queue\[avgbacklog\] 35 over threshold 10 per instance × 1 → 4 instances/,
    );
    expect(once(spec, { current: 0, ready: 0, backlog: 1, metrics: queue(0) }).reason).toMatch(
      /1 request\(s\) or queue item\(s\) waiting with no instance → activate 1 instance/,
    );
    expect(once(spec, { current: 1, ready: 1, backlog: 0, metrics: queue(0, T0 - 600_000) }).reason).toBe(
      'no requests and an empty queue for 600 s → scale to zero',
    );
  });

  it('gives no decision before the queue was sampled', () => {
    expect(once(spec, { current: 2, ready: 2, metrics: snap({}, {}) })).toMatchObject({ valid: false, desired: 2 });
  });
});

describe('decide: the HPA policy', () => {
  it('decides only once per 15 s loop', () => {
    const spec = autoscalerSpec();
    const d1 = decide(spec, { current: 1, ready: 1, metrics: snap({ qps: 20 }) }, initialDeciderState(), T0, 'hpa');
    expect(d1.valid).toBe(true);
    const d2 = decide(spec, { current: 1, ready: 1, metrics: snap({ qps: 100 }) }, d1.nextState, T0 + 10_000, 'hpa');
    expect(d2).toMatchObject({ valid: false, desired: 1 });
    const d3 = decide(spec, { current: 1, ready: 1, metrics: snap({ qps: 100 }) }, d2.nextState, T0 + 15_000, 'hpa');
    expect(d3).toMatchObject({ valid: true, desired: 5 });
  });

  it('is inactive at zero instances with min > 0 (HPA: scaling disabled at zero)', () => {
    const d = decide(
      autoscalerSpec(),
      { current: 0, ready: 0, metrics: snap({ qps: 50 }) },
      initialDeciderState(),
      T0,
      'hpa',
    );
    expect(d.valid).toBe(false);
  });
});
