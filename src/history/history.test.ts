import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ServiceHistory } from './history.js';
import { quantile } from './latency.js';
import { Ring } from './ring.js';

const START = 1_700_000_000_000; // a multiple of 5000

describe('Ring', () => {
  it('keeps the newest values up to its capacity, oldest first', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.size).toBe(3);
  });
});

describe('ServiceHistory', () => {
  it('turns a step of requests into QPS by status class and latency quantiles', () => {
    const clock = new ManualClock(START);
    const h = new ServiceHistory({ clock });
    for (let i = 0; i < 90; i++) h.record('svc', 200, 0.01);
    for (let i = 0; i < 9; i++) h.record('svc', 404, 0.01);
    h.record('svc', 503, 2);
    h.sampleInstances('svc', 3, 2);
    expect(h.read('svc').points).toEqual([]); // the step is still open
    clock.advance(5000);
    const [p] = h.read('svc').points;
    expect(p!.t).toBe(START);
    expect(p!.qps).toEqual({ '2xx': 18, '4xx': 1.8, '5xx': 0.2 });
    expect(p!.p50).toBeGreaterThanOrEqual(0.01);
    expect(p!.p50).toBeLessThan(0.0125);
    expect(p!.p99).toBeGreaterThanOrEqual(0.01);
    expect(p!.p99).toBeLessThan(0.0125);
    expect({ desired: p!.desired, ready: p!.ready }).toEqual({ desired: 3, ready: 2 });
  });

  it('fills quiet steps with zero QPS and the last instance counts', () => {
    const clock = new ManualClock(START);
    const h = new ServiceHistory({ clock });
    h.record('svc', 200, 0.1);
    h.sampleInstances('svc', 1, 1);
    clock.advance(20_000);
    const points = h.read('svc').points;
    expect(points.map((p) => p.t)).toEqual([START, START + 5000, START + 10_000, START + 15_000]);
    expect(points.slice(1).every((p) => p.qps['2xx'] === 0 && p.p99 === null && p.ready === 1)).toBe(true);
  });

  it('keeps one hour at 5 s resolution and no more, whatever the idle gap', () => {
    const clock = new ManualClock(START);
    const h = new ServiceHistory({ clock });
    for (let i = 0; i < 1000; i++) {
      h.record('svc', 200, 0.05);
      clock.advance(5000);
    }
    let { points } = h.read('svc');
    expect(points).toHaveLength(720);
    expect(points.at(-1)!.t).toBe(START + 999 * 5000);
    clock.advance(24 * 3_600_000);
    points = h.read('svc').points;
    expect(points).toHaveLength(720);
    expect(points.every((p) => p.qps['2xx'] === 0)).toBe(true);
  });

  it('forgets services that are gone', () => {
    const clock = new ManualClock(START);
    const h = new ServiceHistory({ clock });
    h.record('a', 200, 0.1);
    h.record('b', 200, 0.1);
    h.retain(['b']);
    expect(h.services()).toEqual(['b']);
    expect(h.read('a').points).toEqual([]);
  });

  it('refuses a window shorter than a step', () => {
    expect(() => new ServiceHistory({ clock: new ManualClock(), stepMs: 5000, windowMs: 1000 })).toThrow(TypeError);
  });
});

describe('quantile', () => {
  it('answers null with no samples and the bucket bound of the rank otherwise', () => {
    const counts = new Uint32Array(72);
    expect(quantile(counts, 0, 0.5)).toBeNull();
    counts[10] = 1;
    counts[40] = 1;
    expect(quantile(counts, 2, 0.5)).toBeCloseTo(1e-4 * 1.25 ** 10);
    expect(quantile(counts, 2, 0.99)).toBeCloseTo(1e-4 * 1.25 ** 40);
  });
});
