/** Shapes shared by the collector, the decision and the loop. */

/** Service-wide metric values over one window; a missing field means no data. */
export interface MetricValues {
  /** Requests per second across all instances of the service. */
  qps?: number;
  /** Requests in flight across all instances (sampled each second, averaged). */
  concurrency?: number;
  /** Mean CPU % of one core per ready instance. */
  cpu?: number;
  /** Mean GPU utilization % per instance, where the runtime measures it. */
  gpu?: number;
  /** Items in an async service's input queue, waiting or at an instance (the last sample, in both windows). */
  backlog?: number;
}

export interface MetricsSnapshot {
  stable: MetricValues;
  panic: MetricValues;
  /** Last second in which a request was counted or in flight, or the input queue held an item. */
  lastRequestAt?: number;
  /** First sample the collector took; the idle clock starts here when no request was seen. */
  dataSince?: number;
}

export interface WindowSpans {
  stableWindowMs: number;
  panicWindowMs: number;
}

export type Policy = 'pier' | 'hpa';

/** The decision's memory between ticks; plain data, never mutated in place. */
export interface DeciderState {
  /** Unstabilized recommendations (HPA stabilization window), oldest first. */
  recommendations: { at: number; value: number }[];
  /** The decider's own changes (HPA scaling policies): +n for a scale-up, −n for a scale-down. */
  scaleEvents: { at: number; change: number }[];
  /** Last tick that was over the panic threshold; unset when not in panic (Knative KPA panic mode). */
  panicRenewedAt?: number;
  /** Highest count decided during this panic episode. */
  panicPeak?: number;
  /** The HPA policy only decides once per loop period. */
  lastDecisionAt?: number;
}

export interface DecideInput {
  /** The desired instance count the controller holds now. */
  current: number;
  /** Instances that are ready (they supply the metrics). */
  ready: number;
  metrics: MetricsSnapshot;
  /** Requests the gateway's activator holds because no instance is ready. */
  pendingRequests?: number;
  /** Items in an async service's input queue now (undefined for other services). */
  backlog?: number;
  /** A floor set by a cron job while the autoscaler is on (replaces `min` when given). */
  minOverride?: number;
}

export interface Decision {
  desired: number;
  /** False means "no decision yet" (no data, or the HPA loop is not due): keep the count. */
  valid: boolean;
  reason: string;
  /** True while the burst (panic) mode holds. */
  panic: boolean;
  nextState: DeciderState;
}

export interface DecideOptions {
  policy: Policy;
  /** KPA stable window; default 60 s. The panic window is 10% of it. */
  stableWindowMs: number;
  panicWindowMs: number;
  /** Panic starts when panicWant / ready ≥ this; default 2 (200%). */
  panicThreshold: number;
  /** No change when |ratio − 1| ≤ tolerance; default 0.1. */
  tolerance: number;
  /** HPA's default behavior (kubernetes pkg/apis/autoscaling/v2/defaults.go): up max(4 pods, 100%) per 15 s; down 100% per 15 s. */
  scaleUpPods: number;
  scaleUpPercent: number;
  scaleDownPercent: number;
  ratePeriodMs: number;
  /** The HPA policy's loop period and metric window; default 15 s. */
  hpaPeriodMs: number;
}

export const DEFAULT_OPTIONS: DecideOptions = {
  policy: 'pier',
  stableWindowMs: 60_000,
  panicWindowMs: 6_000,
  panicThreshold: 2,
  tolerance: 0.1,
  scaleUpPods: 4,
  scaleUpPercent: 100,
  scaleDownPercent: 100,
  ratePeriodMs: 15_000,
  hpaPeriodMs: 15_000,
};

/** Options with the panic window at 10% of a given stable window (at least 1 s). */
export function decideOptions(overrides: Partial<DecideOptions> = {}): DecideOptions {
  const stableWindowMs = overrides.stableWindowMs ?? DEFAULT_OPTIONS.stableWindowMs;
  return {
    ...DEFAULT_OPTIONS,
    panicWindowMs: Math.max(1000, Math.round(stableWindowMs / 10)),
    ...overrides,
    stableWindowMs,
  };
}

/** The windows a policy reads: KPA stable/panic for Pier, the last loop period for the HPA. */
export function windowsFor(options: DecideOptions): WindowSpans {
  if (options.policy === 'hpa') return { stableWindowMs: options.hpaPeriodMs, panicWindowMs: options.hpaPeriodMs };
  return { stableWindowMs: options.stableWindowMs, panicWindowMs: options.panicWindowMs };
}

export function initialDeciderState(): DeciderState {
  return { recommendations: [], scaleEvents: [] };
}
