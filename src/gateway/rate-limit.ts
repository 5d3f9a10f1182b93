import type { Board } from './workers/board.js';

/**
 * Token bucket for `rpc.rate_limit` (requests per second for a whole service):
 * holds up to one second of tokens and refills continuously from `now`, so it
 * needs no timer. Pure apart from its own two numbers.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    now: number,
  ) {
    this.tokens = Math.max(1, rate);
    this.last = now;
  }

  /** Takes one token if available. */
  take(now: number, rate: number): boolean {
    if (rate !== this.rate) this.rate = rate;
    const capacity = Math.max(1, this.rate);
    if (now > this.last) {
      this.tokens = Math.min(capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/**
 * One bucket per service, created on first use, forgotten when the service leaves.
 * With gateway workers the bucket is the service's one on the shared board, so
 * the rate holds for all threads together.
 */
export class RateLimiter {
  private buckets = new Map<string, TokenBucket>();

  constructor(private readonly board?: Board) {}

  allow(service: string, rate: number | undefined, now: number): boolean {
    if (rate === undefined || !(rate > 0)) return true;
    if (this.board) {
      const slot = this.board.serviceSlot(service);
      if (slot >= 0) return this.board.takeToken(slot, rate, now);
    }
    let bucket = this.buckets.get(service);
    if (!bucket) {
      bucket = new TokenBucket(rate, now);
      this.buckets.set(service, bucket);
    }
    return bucket.take(now, rate);
  }

  retain(services: Set<string>): void {
    for (const name of this.buckets.keys()) if (!services.has(name)) this.buckets.delete(name);
  }
}
