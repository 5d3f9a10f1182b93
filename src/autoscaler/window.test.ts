import { describe, expect, it } from 'vitest';
import { MetricWindow } from './window.js';

const T0 = 1_700_000_000_000;

describe('MetricWindow', () => {
  it('is undefined with no data in the span', () => {
    const w = new MetricWindow(60_000);
    expect(w.average(60_000, T0)).toBeUndefined();
    w.record(5, T0);
    expect(w.average(10_000, T0 + 20_000)).toBeUndefined();
  });

  it('averages the buckets with data in the span, not counting empty seconds as zero', () => {
    const w = new MetricWindow(60_000);
    w.record(10, T0);
    w.record(20, T0 + 1000);
    w.record(60, T0 + 5000);
    expect(w.average(60_000, T0 + 5000)).toBe(30);
    expect(w.average(2000, T0 + 5000)).toBe(60);
  });

  it('keeps the mean of records in one second, the sum of adds', () => {
    const w = new MetricWindow(10_000);
    w.record(2, T0);
    w.record(4, T0 + 500);
    expect(w.average(1000, T0 + 999)).toBe(3);
    const a = new MetricWindow(10_000);
    a.add(2, T0);
    a.add(4, T0 + 500);
    expect(a.average(1000, T0 + 999)).toBe(6);
  });

  it('has bounded memory: old buckets are overwritten', () => {
    const w = new MetricWindow(5000);
    for (let i = 0; i < 10_000; i++) w.record(i, T0 + i * 1000);
    const now = T0 + 9999 * 1000;
    expect(w.average(5000, now)).toBe((9995 + 9996 + 9997 + 9998 + 9999) / 5);
    // Asking for more than the span sees only what is kept.
    expect(w.average(600_000, now)).toBeGreaterThan(9990);
  });

  it('rejects a span under one bucket', () => {
    expect(() => new MetricWindow(10)).toThrow(RangeError);
  });
});
