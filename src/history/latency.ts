/**
 * A small log-bucketed latency histogram for one chart step: 1.25× wide
 * buckets from 0.1 ms to ~10 min, so a quantile is within 25 % of the true
 * value (the same trade as HdrHistogram's or Prometheus' native histograms,
 * at a much coarser resolution) at a fixed 72 counters per step.
 */

const MIN_SECONDS = 1e-4;
const GROWTH = 1.25;
const LOG_GROWTH = Math.log(GROWTH);
export const LATENCY_BUCKETS = 72;

export function bucketOf(seconds: number): number {
  if (!(seconds > MIN_SECONDS)) return 0;
  const i = Math.ceil(Math.log(seconds / MIN_SECONDS) / LOG_GROWTH);
  return Math.min(LATENCY_BUCKETS - 1, i);
}

/** The upper bound of bucket `i`, in seconds. */
export function upperBound(i: number): number {
  return MIN_SECONDS * GROWTH ** i;
}

/** The q-quantile (0 < q ≤ 1) as the upper bound of the bucket holding that rank; null with no samples. */
export function quantile(counts: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return upperBound(i);
  }
  return upperBound(counts.length - 1);
}
