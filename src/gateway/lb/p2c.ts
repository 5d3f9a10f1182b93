import type { Endpoint } from '../types.js';

/**
 * Power of two choices on least outstanding requests: draw two distinct
 * candidates at random and keep the one with fewer requests in flight (the first
 * drawn on a tie). Pure: the caller supplies the counts and the random source.
 */
export function pickEndpoint(
  candidates: readonly Endpoint[],
  outstanding: (instanceId: string) => number,
  random: () => number,
): Endpoint | undefined {
  const n = candidates.length;
  if (n === 0) return undefined;
  if (n === 1) return candidates[0];
  const i = Math.min(n - 1, Math.floor(random() * n));
  let j = Math.min(n - 2, Math.floor(random() * (n - 1)));
  if (j >= i) j++;
  const a = candidates[i]!;
  const b = candidates[j]!;
  return outstanding(b.instanceId) < outstanding(a.instanceId) ? b : a;
}
