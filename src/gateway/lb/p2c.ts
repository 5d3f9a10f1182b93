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
  const i = firstDraw(n, random);
  const a = candidates[i]!;
  const b = candidates[secondDraw(n, i, random)]!;
  return outstanding(b.instanceId) < outstanding(a.instanceId) ? b : a;
}

/** The first of two distinct draws among `n` (>= 2) candidates. */
export function firstDraw(n: number, random: () => number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** The second draw, uniform over the other `n - 1` (no retry loop, no allocation). */
export function secondDraw(n: number, first: number, random: () => number): number {
  const j = Math.min(n - 2, Math.floor(random() * (n - 1)));
  return j >= first ? j + 1 : j;
}
