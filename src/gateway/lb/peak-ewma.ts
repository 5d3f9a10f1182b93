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
 * `sample: 'per-request'` feeds the estimate the time divided by how many requests
 * the instance had meanwhile (`perRequestMs`), so the cost is what one more request
 * would wait. The time itself already includes the wait behind the requests in
 * flight, so `× (outstanding + 1)` counts that queue twice: when the gateway is the
 * queue (its event loop saturated), fast instances ten requests deep cost as much
 * as a 20 ms one with none, and in bench/gateway/tail.sh that 20 ms instance keeps
 * 0.8–1.7 % of the requests, against 0.01–0.26 % per request. It is not the default
 * because it takes away what balances equal instances: with the time shared out,
 * an instance's cost no longer grows with its own load, and two equal instances
 * behind a saturated gateway drifted as far as 36/64 where the time itself kept them
 * within 49–52 % (BENCHMARKS.md).
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

/** One instance's estimate as of its last sample. */
export interface RttEstimate {
  /** Peak-EWMA of the time to response headers (or that time per request in flight), milliseconds. */
  rttMs: number;
  /** When the last sample arrived (the `now` timeline, milliseconds). */
  at: number;
}

/** The estimate at `now`: the stored one decayed toward 0 since its last sample. */
export function estimateAt(est: RttEstimate, now: number, decayMs: number): number {
  const elapsed = now - est.at;
  return elapsed > 0 ? est.rttMs * Math.exp(-elapsed / decayMs) : est.rttMs;
}

/** The estimate after a sample of `rttMs` at `now` (peak at once, else an EWMA weighted by elapsed time). */
export function nextEstimate(est: RttEstimate, rttMs: number, now: number, decayMs: number): number {
  const elapsed = now - est.at;
  const keep = elapsed > 0 ? Math.exp(-elapsed / decayMs) : 1;
  const decayed = est.rttMs * keep;
  if (rttMs >= decayed) return rttMs;
  return est.rttMs * keep + rttMs * (1 - keep);
}

/**
 * A sample: the time to headers shared by the requests the instance had meanwhile
 * (`running`, this one included; counts below 1 are taken as 1).
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
  return cost(eb, ob, now, decayMs) < cost(ea, oa, now, decayMs) ? b : a;
}

export interface PeakEwmaOptions {
  /** τ, milliseconds. Default 1 s (DEFAULT_DECAY_MS). */
  decayMs?: number;
  /** What a sample is: the time to headers (default, as Finagle and tower), or that time per request in flight. */
  sample?: 'time' | 'per-request';
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
  const perRequest = opts.sample === 'per-request';
  const estimates = new Map<string, RttEstimate>();
  let sweepAt = SWEEP_ABOVE;
  const policy: LbPolicy = (candidates, outstanding, random) =>
    candidates.length < 2 ? candidates[0] : pickPeakEwma(candidates, outstanding, random, estimates, now(), decayMs);
  policy.record = (instanceId, rttMs, running) => {
    const t = now();
    const sample = perRequest ? perRequestMs(rttMs, running) : Math.max(rttMs, 0);
    const est = estimates.get(instanceId);
    if (est !== undefined) {
      est.rttMs = nextEstimate(est, sample, t, decayMs);
      est.at = t;
      return;
    }
    estimates.set(instanceId, { rttMs: sample, at: t });
    if (estimates.size > sweepAt) {
      // Instances come and go; drop the ones not heard from in 20 τ.
      for (const [id, e] of estimates) if (t - e.at > FORGET_AFTER_TAU * decayMs) estimates.delete(id);
      sweepAt = Math.max(SWEEP_ABOVE, estimates.size * 2);
    }
  };
  return policy;
}
