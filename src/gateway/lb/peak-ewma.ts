import type { Endpoint, LbPolicy } from '../types.js';
import { firstDraw, secondDraw } from './p2c.js';

/**
 * Latency-aware power of two choices: draw two distinct candidates and keep the
 * one with the lower cost `estimate × (outstanding + 1)`, where `estimate` is a
 * peak-EWMA of the time to response headers (Finagle's `PeakEwma` load metric,
 * https://github.com/twitter/finagle/blob/develop/finagle-core/src/main/scala/com/twitter/finagle/loadbalancer/PeakEwma.scala,
 * and tower's `tower::load::PeakEwma` that Linkerd2-proxy uses,
 * https://github.com/tower-rs/tower/blob/master/tower/src/load/peak_ewma.rs).
 *
 * - A sample above the estimate replaces it at once (the peak), so one slow
 *   answer takes traffic away immediately.
 * - A sample below it moves the estimate toward it with weight
 *   `1 − exp(−Δt/τ)`, Δt the time since the last sample: recovery depends on
 *   elapsed time, not on how many samples arrive.
 * - Between samples the estimate decays toward 0 with the same τ (Finagle and
 *   tower read the cost with a zero sample). This is what lets an instance that
 *   gets no traffic, because it was slow, be tried again and recover.
 * - An instance without a sample yet is compared on outstanding requests alone,
 *   so a new instance gets traffic at once instead of waiting behind a guess.
 *
 * Before that cost, a check on the wait: each instance also keeps a plain
 * time-weighted EWMA (no peak) of the time to headers per request it had in flight
 * meanwhile (`perRequestMs`), and `that × (outstanding + 1)` predicts what one more
 * request would wait there. When one candidate's predicted wait is over `waitRatio`
 * (1.5) × the other's, the other wins outright. Why: the time to headers already
 * includes the wait behind the requests in flight, so `× (outstanding + 1)` counts
 * that queue twice. When the gateway itself is the queue (its event loop saturated),
 * fast instances ten requests deep cost as much as a 20 ms one with none, and in
 * bench/gateway/tail.sh that 20 ms instance kept 0.6–1.7 % of the requests on
 * Finagle's cost alone and 0.01–0.08 % with the check (BENCHMARKS.md). Within the ratio
 * Finagle's cost decides, because it is what keeps equal instances equal: the
 * per-request wait alone stops growing with an instance's own load, and two equal
 * instances behind a saturated gateway drifted as far as 36/64 on it, where with the
 * check they stay within 49–52 %. The per-request average takes no peaks: divided by
 * a count that swings, its rare highs would stand for every instance's estimate.
 *
 * The arithmetic is pure (state and `now` are arguments); `createPeakEwma` keeps
 * one small record per instance, updated in place: no allocation per pick or sample.
 */

/**
 * τ. Finagle and Linkerd default to 10 s; 1 s here because time-to-headers as the
 * gateway sees it includes the gateway's own stalls (GC, a busy shared host), and a
 * stall lands as a peak on every instance with a request in flight, i.e. mostly
 * on the fast, busy ones. With 10 s such peaks outlive a slow instance's real one:
 * in bench/gateway/tail.sh on a loaded host a 20 ms instance kept 3.0–4.3 % of the
 * traffic at τ = 10 s or 2 s and 1.6–3.9 % at 1 s or 0.5 s (p2c: 3.9–6.1 %; see
 * BENCHMARKS.md). τ stays well above the per-instance sample interval of a busy
 * service, which the EWMA needs.
 */
export const DEFAULT_DECAY_MS = 1_000;

/** One instance's estimates as of its last sample. */
export interface RttEstimate {
  /** Peak-EWMA of the time to response headers, milliseconds. */
  rttMs: number;
  /** Time-weighted EWMA (no peak) of that time per request in flight, milliseconds. */
  perMs: number;
  /** When the last sample arrived (the `now` timeline, milliseconds). */
  at: number;
}

/** The estimate at `now`: the stored one decayed toward 0 since its last sample. */
export function estimateAt(est: RttEstimate, now: number, decayMs: number, value = est.rttMs): number {
  const elapsed = now - est.at;
  return elapsed > 0 ? value * Math.exp(-elapsed / decayMs) : value;
}

/** The estimate after a sample of `rttMs` at `now` (peak at once, else an EWMA weighted by elapsed time). */
export function nextEstimate(est: RttEstimate, rttMs: number, now: number, decayMs: number): number {
  const elapsed = now - est.at;
  const keep = elapsed > 0 ? Math.exp(-elapsed / decayMs) : 1;
  const decayed = est.rttMs * keep;
  if (rttMs >= decayed) return rttMs;
  return est.rttMs * keep + rttMs * (1 - keep);
}

/** The per-request average after a sample at `now`: an EWMA weighted by elapsed time, no peak. */
export function nextAverage(est: RttEstimate, perMs: number, now: number, decayMs: number): number {
  const elapsed = now - est.at;
  const keep = elapsed > 0 ? Math.exp(-elapsed / decayMs) : 1;
  return est.perMs * keep + perMs * (1 - keep);
}

/**
 * A per-request sample: the time to headers shared by the requests the instance had
 * meanwhile (`running`, this one included; counts below 1 are taken as 1).
 */
export function perRequestMs(rttMs: number, running: number): number {
  return Math.max(rttMs, 0) / Math.max(running, 1);
}

/**
 * Floor of the estimate in the cost (1 µs): an estimate decayed to ~0 would make
 * every outstanding count cost the same; Finagle adds a penalty for that case.
 */
const MIN_ESTIMATE_MS = 0.001;

/** Cost of sending one more request: estimate × (outstanding + 1). */
export function cost(est: RttEstimate, outstanding: number, now: number, decayMs: number): number {
  return Math.max(MIN_ESTIMATE_MS, estimateAt(est, now, decayMs)) * (outstanding + 1);
}

/** What one more request would wait: per-request average × (outstanding + 1). */
export function predictedWait(est: RttEstimate, outstanding: number, now: number, decayMs: number): number {
  return Math.max(MIN_ESTIMATE_MS, estimateAt(est, now, decayMs, est.perMs)) * (outstanding + 1);
}

/** Default `waitRatio`: in bench/gateway/tail.sh 1.25 and 2 kept the slow share near 1.5's but p99 above it. */
export const DEFAULT_WAIT_RATIO = 1.5;

/**
 * The pick over explicit state: `estimates` maps instance ids to their records
 * (missing = no sample yet). Ties keep the first drawn, like `pickEndpoint`.
 */
export function pickPeakEwma(
  candidates: readonly Endpoint[],
  outstanding: (instanceId: string) => number,
  random: () => number,
  estimates: ReadonlyMap<string, RttEstimate>,
  now: number,
  decayMs: number = DEFAULT_DECAY_MS,
  waitRatio: number = DEFAULT_WAIT_RATIO,
): Endpoint | undefined {
  const n = candidates.length;
  if (n === 0) return undefined;
  if (n === 1) return candidates[0];
  const i = firstDraw(n, random);
  const a = candidates[i]!;
  const b = candidates[secondDraw(n, i, random)]!;
  const ea = estimates.get(a.instanceId);
  const eb = estimates.get(b.instanceId);
  const oa = outstanding(a.instanceId);
  const ob = outstanding(b.instanceId);
  if (ea === undefined || eb === undefined) return ob < oa ? b : a;
  const wa = predictedWait(ea, oa, now, decayMs);
  const wb = predictedWait(eb, ob, now, decayMs);
  if (wa > waitRatio * wb) return b;
  if (wb > waitRatio * wa) return a;
  return cost(eb, ob, now, decayMs) < cost(ea, oa, now, decayMs) ? b : a;
}

export interface PeakEwmaOptions {
  /** τ, milliseconds. Default 1 s (DEFAULT_DECAY_MS). */
  decayMs?: number;
  /**
   * A candidate whose predicted wait is over this × the other's loses outright.
   * Default 1.5 (DEFAULT_WAIT_RATIO); `Infinity` leaves Finagle's cost alone.
   */
  waitRatio?: number;
  /** Monotonic milliseconds with sub-millisecond resolution. Default `performance.now`. */
  now?: () => number;
}

/** Records untouched for this many τ are dropped (their estimate is ~e⁻²⁰ of what it was). */
const FORGET_AFTER_TAU = 20;
/** Scan for forgotten instances only when the table has grown past this. */
const SWEEP_ABOVE = 256;

/** The gateway's policy object: the pick plus `record`, fed where a response's headers arrive. */
export function createPeakEwma(opts: PeakEwmaOptions = {}): LbPolicy {
  const decayMs = opts.decayMs ?? DEFAULT_DECAY_MS;
  if (!(decayMs > 0)) throw new Error('createPeakEwma: decayMs must be > 0');
  const now = opts.now ?? (() => performance.now());
  const waitRatio = opts.waitRatio ?? DEFAULT_WAIT_RATIO;
  if (!(waitRatio >= 1)) throw new Error('createPeakEwma: waitRatio must be >= 1');
  const estimates = new Map<string, RttEstimate>();
  let sweepAt = SWEEP_ABOVE;
  const policy: LbPolicy = (candidates, outstanding, random) =>
    candidates.length < 2
      ? candidates[0]
      : pickPeakEwma(candidates, outstanding, random, estimates, now(), decayMs, waitRatio);
  policy.record = (instanceId, rttMs, running) => {
    const t = now();
    const sample = Math.max(rttMs, 0);
    const perMs = perRequestMs(rttMs, running);
    const est = estimates.get(instanceId);
    if (est !== undefined) {
      est.perMs = nextAverage(est, perMs, t, decayMs);
      est.rttMs = nextEstimate(est, sample, t, decayMs);
      est.at = t;
      return;
    }
    estimates.set(instanceId, { rttMs: sample, perMs, at: t });
    if (estimates.size > sweepAt) {
      // Instances come and go; drop the ones not heard from in 20 τ.
      for (const [id, e] of estimates) if (t - e.at > FORGET_AFTER_TAU * decayMs) estimates.delete(id);
      sweepAt = Math.max(SWEEP_ABOVE, estimates.size * 2);
    }
  };
  return policy;
}
