import type { Endpoint, LbPolicy } from '../types.js';

/**
 * Round-robin as a second policy. The cursor lives in the closure (one per
 * gateway); it walks whatever candidate list it is given, so a shrinking list
 * never makes it pick an endpoint outside that list.
 */
export function createRoundRobin(): LbPolicy {
  let next = 0;
  return (candidates: readonly Endpoint[]): Endpoint | undefined => {
    const n = candidates.length;
    if (n === 0) return undefined;
    const picked = candidates[next % n];
    next = (next + 1) % 1_000_000_007;
    return picked;
  };
}
