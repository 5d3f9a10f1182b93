/**
 * A sliding window of 1 s buckets (knative's TimedFloat64Buckets): memory is fixed by
 * the span, old buckets are overwritten in place, and time comes from the caller.
 */

const BUCKET_MS = 1000;

export class MetricWindow {
  private readonly size: number;
  /** Bucket index (floor(at / 1 s)) that each slot holds, or -1 when empty. */
  private readonly slots: number[];
  private readonly sums: number[];
  private readonly counts: number[];

  /** `spanMs` is the longest span `average` will be asked about (e.g. the 60 s stable window). */
  constructor(spanMs: number) {
    if (!(spanMs >= BUCKET_MS)) throw new RangeError(`window span ${spanMs} ms must be at least ${BUCKET_MS} ms`);
    this.size = Math.ceil(spanMs / BUCKET_MS) + 1;
    this.slots = new Array(this.size).fill(-1);
    this.sums = new Array(this.size).fill(0);
    this.counts = new Array(this.size).fill(0);
  }

  /** A sampled value (a rate, a gauge): the bucket holds the mean of what was recorded in that second. */
  record(value: number, at: number): void {
    if (!Number.isFinite(value)) return;
    const slot = this.slotFor(at);
    this.sums[slot] += value;
    this.counts[slot] += 1;
  }

  /** A count of events in that second (e.g. requests): the bucket holds their sum. */
  add(value: number, at: number): void {
    if (!Number.isFinite(value)) return;
    const slot = this.slotFor(at);
    this.sums[slot] += value;
    this.counts[slot] = 1;
  }

  /**
   * Mean over the buckets with data in (now − spanMs, now]; undefined when none has
   * data. Buckets without data are skipped, not counted as zero, so a window that is
   * not yet full (a fresh service) averages what it has, as knative's does.
   */
  average(spanMs: number, now: number): number | undefined {
    const newest = Math.floor(now / BUCKET_MS);
    const buckets = Math.min(this.size, Math.max(1, Math.ceil(spanMs / BUCKET_MS)));
    let total = 0;
    let n = 0;
    for (let b = newest - buckets + 1; b <= newest; b++) {
      const slot = mod(b, this.size);
      if (this.slots[slot] !== b || this.counts[slot] === 0) continue;
      total += this.sums[slot] / this.counts[slot];
      n++;
    }
    return n === 0 ? undefined : total / n;
  }

  private slotFor(at: number): number {
    const bucket = Math.floor(at / BUCKET_MS);
    const slot = mod(bucket, this.size);
    if (this.slots[slot] !== bucket) {
      this.slots[slot] = bucket;
      this.sums[slot] = 0;
      this.counts[slot] = 0;
    }
    return slot;
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
