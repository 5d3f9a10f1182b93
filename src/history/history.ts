/**
 * The console's charts without a Prometheus: per service, one point per step
 * (5 s) for the last hour — requests per second by status class, p50/p99
 * latency, and instances desired/ready. Bounded: a ring of `window / step`
 * points per service and one open step being filled. Time comes from the
 * injected clock only, so tests step it by hand.
 */

import type { Clock } from '../clock.js';
import { LATENCY_BUCKETS, bucketOf, quantile } from './latency.js';
import { Ring } from './ring.js';

export type StatusClass = '2xx' | '4xx' | '5xx';

export interface HistoryPoint {
  /** Start of the step, ms since the epoch. */
  t: number;
  /** Requests per second answered in the step, by class (1xx and 3xx count as 2xx: not errors). */
  qps: Record<StatusClass, number>;
  /** Latency quantiles in seconds; null when no request finished in the step. */
  p50: number | null;
  p99: number | null;
  /** Last sampled instance counts in the step; null before the first sample. */
  desired: number | null;
  ready: number | null;
}

export interface HistoryReading {
  stepMs: number;
  windowMs: number;
  points: HistoryPoint[];
}

export interface HistoryOptions {
  clock: Clock;
  /** Default 5000 ms. */
  stepMs?: number;
  /** Default one hour. */
  windowMs?: number;
}

interface OpenStep {
  t: number;
  counts: [number, number, number];
  latency: Uint32Array;
  observed: number;
  desired: number | null;
  ready: number | null;
}

interface Series {
  ring: Ring<HistoryPoint>;
  open: OpenStep;
}

export class ServiceHistory {
  readonly stepMs: number;
  readonly windowMs: number;
  private readonly clock: Clock;
  private readonly capacity: number;
  private readonly series = new Map<string, Series>();

  constructor(opts: HistoryOptions) {
    this.clock = opts.clock;
    this.stepMs = opts.stepMs ?? 5000;
    this.windowMs = opts.windowMs ?? 3_600_000;
    if (!(this.stepMs > 0) || !(this.windowMs >= this.stepMs)) {
      throw new TypeError('ServiceHistory: stepMs > 0 and windowMs >= stepMs');
    }
    this.capacity = Math.floor(this.windowMs / this.stepMs);
  }

  /** One answered request (called by the gateway per request: no allocation on the hot path). */
  record(service: string, status: number, seconds: number): void {
    const open = this.current(service);
    open.counts[status >= 500 ? 2 : status >= 400 ? 1 : 0]++;
    open.latency[bucketOf(seconds)]!++;
    open.observed++;
  }

  /** The controller's view of a service now. */
  sampleInstances(service: string, desired: number, ready: number): void {
    const open = this.current(service);
    open.desired = desired;
    open.ready = ready;
  }

  /** Completed steps, oldest first; undefined for a service never seen. */
  read(service: string): HistoryReading {
    const s = this.series.get(service);
    if (s) this.roll(s, this.stepStart(this.clock.now()));
    return { stepMs: this.stepMs, windowMs: this.windowMs, points: s ? s.ring.toArray() : [] };
  }

  /** Drops services not in `names` (deleted ones). */
  retain(names: Iterable<string>): void {
    const keep = new Set(names);
    for (const name of this.series.keys()) if (!keep.has(name)) this.series.delete(name);
  }

  services(): string[] {
    return [...this.series.keys()];
  }

  private current(service: string): OpenStep {
    const t = this.stepStart(this.clock.now());
    let s = this.series.get(service);
    if (!s) {
      s = { ring: new Ring(this.capacity), open: emptyStep(t, null, null) };
      this.series.set(service, s);
    } else if (s.open.t !== t) {
      this.roll(s, t);
    }
    return s.open;
  }

  /** Closes the open step and any empty steps up to `t` (at most a window's worth). */
  private roll(s: Series, t: number): void {
    if (s.open.t >= t) return;
    s.ring.push(this.close(s.open));
    const { desired, ready } = s.open;
    const gap = Math.min(this.capacity, Math.round((t - s.open.t) / this.stepMs) - 1);
    for (let i = gap; i >= 1; i--) s.ring.push(this.close(emptyStep(t - i * this.stepMs, desired, ready)));
    s.open = emptyStep(t, desired, ready);
  }

  private close(step: OpenStep): HistoryPoint {
    const perSecond = 1000 / this.stepMs;
    return {
      t: step.t,
      qps: { '2xx': step.counts[0] * perSecond, '4xx': step.counts[1] * perSecond, '5xx': step.counts[2] * perSecond },
      p50: quantile(step.latency, step.observed, 0.5),
      p99: quantile(step.latency, step.observed, 0.99),
      desired: step.desired,
      ready: step.ready,
    };
  }

  private stepStart(now: number): number {
    return Math.floor(now / this.stepMs) * this.stepMs;
  }
}

function emptyStep(t: number, desired: number | null, ready: number | null): OpenStep {
  return { t, counts: [0, 0, 0], latency: new Uint32Array(LATENCY_BUCKETS), observed: 0, desired, ready };
}
