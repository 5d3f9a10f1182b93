import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { RateLimiter, TokenBucket } from './rate-limit.js';

describe('TokenBucket', () => {
  it('allows a burst of one second, then refills at the rate', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(5, clock.now());
    const burst = Array.from({ length: 7 }, () => bucket.take(clock.now(), 5));
    expect(burst).toEqual([true, true, true, true, true, false, false]);
    clock.advance(200);
    expect(bucket.take(clock.now(), 5)).toBe(true);
    expect(bucket.take(clock.now(), 5)).toBe(false);
    clock.advance(10_000);
    expect(Array.from({ length: 6 }, () => bucket.take(clock.now(), 5)).filter(Boolean)).toHaveLength(5);
  });

  it('handles rates below one per second', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(0.5, clock.now());
    expect(bucket.take(clock.now(), 0.5)).toBe(true);
    expect(bucket.take(clock.now(), 0.5)).toBe(false);
    clock.advance(2000);
    expect(bucket.take(clock.now(), 0.5)).toBe(true);
  });
});

describe('RateLimiter', () => {
  it('is unlimited without a rate and separate per service', () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 100; i++) expect(limiter.allow('a', undefined, 0)).toBe(true);
    expect(limiter.allow('b', 1, 0)).toBe(true);
    expect(limiter.allow('b', 1, 0)).toBe(false);
    expect(limiter.allow('c', 1, 0)).toBe(true);
  });
});
