/**
 * Replays a load trace against a policy, second by second, with the real collector
 * and decision: the benchmark compares Pier's policy with a simulated HPA on the
 * same trace in the same run. Pure: simulated time only, no timers.
 */
import type { AutoscalerSpec } from '../spec/index.js';
import { ServiceMetrics } from './collect.js';
import { decide } from './decide.js';
import { type DecideOptions, decideOptions, initialDeciderState, type Policy, windowsFor } from './types.js';

export interface TracePoint {
  /** Milliseconds; the load holds from here until the next point. */
  at: number;
  qps: number;
}

export interface SimulateOptions {
  /** Time from a scale-up decision until the new instance is ready; default 0. */
  startDelayMs?: number;
  /** Decision period; default 2 s for Pier, 15 s for the HPA. */
  tickMs?: number;
  /** How long to run after the first point; default last point + 60 s. */
  durationMs?: number;
  /** Instances at the start (all ready); default max(min, 1). */
  initial?: number;
  /** Mean request latency, giving concurrency = qps × latency; default 100 ms. */
  latencyMs?: number;
  /** CPU % of one core per request/s on one instance, for cpu metrics; default 1. */
  cpuPercentPerQps?: number;
  decide?: Partial<DecideOptions>;
}

export interface SimDecision {
  at: number;
  from: number;
  to: number;
  reason: string;
  panic: boolean;
}

export interface SimTick {
  at: number;
  qps: number;
  current: number;
  ready: number;
}

export interface SimulateResult {
  policy: Policy;
  decisions: SimDecision[];
  ticks: SimTick[];
}

function loadAt(trace: TracePoint[], at: number): number {
  let qps = 0;
  for (const p of trace) if (p.at <= at) qps = p.qps;
  return qps;
}

export function simulate(
  trace: TracePoint[],
  config: AutoscalerSpec,
  policy: Policy = 'pier',
  options: SimulateOptions = {},
): SimulateResult {
  const o = decideOptions({ ...options.decide, policy });
  const spans = windowsFor(o);
  const start = trace.length > 0 ? Math.min(...trace.map((p) => p.at)) : 0;
  const end =
    start + (options.durationMs ?? (trace.length > 0 ? Math.max(...trace.map((p) => p.at)) - start : 0) + 60_000);
  const tickMs = options.tickMs ?? (policy === 'hpa' ? o.hpaPeriodMs : 2000);
  const startDelay = options.startDelayMs ?? 0;
  const latency = (options.latencyMs ?? 100) / 1000;
  const cpuPerQps = options.cpuPercentPerQps ?? 1;

  const metrics = new ServiceMetrics(Math.max(spans.stableWindowMs, spans.panicWindowMs));
  let state = initialDeciderState();
  let current = options.initial ?? Math.max(config.min, 1);
  let ready = current;
  let starting: number[] = []; // readyAt of instances still starting
  let requests = 0;
  const cpuSeconds: number[] = []; // per ready instance, cumulative
  const decisions: SimDecision[] = [];
  const ticks: SimTick[] = [];

  for (let at = start; at <= end; at += 1000) {
    ready += starting.filter((t) => t <= at).length;
    starting = starting.filter((t) => t > at);
    const qps = loadAt(trace, at - 1000); // served during the second that ends now
    const served = ready > 0 ? qps : 0;
    requests += served;
    cpuSeconds.length = Math.min(cpuSeconds.length, ready);
    const cpu: Record<string, number> = {};
    for (let i = 0; i < ready; i++) {
      cpuSeconds[i] = (cpuSeconds[i] ?? 0) + ((served / ready) * cpuPerQps) / 100;
      cpu[`i${i}`] = cpuSeconds[i] as number;
    }
    metrics.sample({
      at,
      requests: { all: requests },
      inflight: { all: served * latency },
      cpuSeconds: cpu,
    });
    if ((at - start) % tickMs !== 0 || at === start) continue;
    const d = decide(
      config,
      {
        current,
        ready,
        metrics: metrics.snapshot(at, spans),
        pendingRequests: ready === 0 && qps > 0 ? Math.ceil(qps) : 0,
      },
      state,
      at,
      o,
    );
    state = d.nextState;
    ticks.push({ at, qps, current, ready });
    if (!d.valid || d.desired === current) continue;
    decisions.push({ at, from: current, to: d.desired, reason: d.reason, panic: d.panic });
    if (d.desired > current) {
      for (let i = current; i < d.desired; i++) starting.push(at + startDelay);
      if (startDelay === 0) {
        ready += starting.length;
        starting = [];
      }
    } else {
      let drop = current - d.desired;
      const fromStarting = Math.min(drop, starting.length);
      starting = starting.slice(0, starting.length - fromStarting);
      drop -= fromStarting;
      ready = Math.max(0, ready - drop);
    }
    current = d.desired;
  }
  return { policy, decisions, ticks };
}

/** First decision at or after `after` that asks for at least `atLeast` instances. */
export function firstDecisionReaching(result: SimulateResult, after: number, atLeast: number): SimDecision | undefined {
  return result.decisions.find((d) => d.at >= after && d.to >= atLeast);
}
