/**
 * HPA behavior (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior;
 * pkg/controller/podautoscaler/horizontal.go): stabilization windows over the
 * history of unstabilized recommendations, then rate limits from the decider's own
 * scale events inside each policy period.
 */
import type { DecideOptions, DeciderState } from './types.js';

export interface Stabilized {
  value: number;
  /** Set when a window held the recommendation back. */
  heldBy?: 'up' | 'down';
}

/**
 * up = min of the recommendations inside the scale-up window, down = max inside the
 * scale-down window (both include the new one); the current count is raised to up or
 * lowered to down. A window of 0 holds only the new recommendation.
 */
export function stabilize(
  history: DeciderState['recommendations'],
  recommendation: number,
  current: number,
  now: number,
  upWindowMs: number,
  downWindowMs: number,
): Stabilized {
  let up = recommendation;
  let down = recommendation;
  for (const r of history) {
    if (r.at > now - upWindowMs) up = Math.min(up, r.value);
    if (r.at > now - downWindowMs) down = Math.max(down, r.value);
  }
  let value = current;
  if (value < up) value = up;
  if (value > down) value = down;
  if (recommendation > current && value < recommendation) return { value, heldBy: 'up' };
  if (recommendation < current && value > recommendation) return { value, heldBy: 'down' };
  return { value };
}

export interface RateLimited {
  value: number;
  limited: boolean;
}

/** Replicas added (or removed) by the decider's own events within the period. */
function changedWithin(events: DeciderState['scaleEvents'], now: number, periodMs: number, sign: 1 | -1): number {
  let sum = 0;
  for (const e of events) if (e.at > now - periodMs && Math.sign(e.change) === sign) sum += Math.abs(e.change);
  return sum;
}

/**
 * HPA scaling policies with their defaults, selectPolicy Max: up to max(periodStart + pods,
 * ceil(periodStart × (1 + percent))); down to trunc(periodStart × (1 − percent)).
 */
export function rateLimit(
  events: DeciderState['scaleEvents'],
  current: number,
  desired: number,
  now: number,
  o: Pick<DecideOptions, 'scaleUpPods' | 'scaleUpPercent' | 'scaleDownPercent' | 'ratePeriodMs'>,
): RateLimited {
  const added = changedWithin(events, now, o.ratePeriodMs, 1);
  const removed = changedWithin(events, now, o.ratePeriodMs, -1);
  const periodStart = current - added + removed;
  if (desired > current) {
    const limit = Math.max(periodStart + o.scaleUpPods, Math.ceil(periodStart * (1 + o.scaleUpPercent / 100)));
    return desired > limit ? { value: Math.max(current, limit), limited: true } : { value: desired, limited: false };
  }
  if (desired < current) {
    const limit = Math.trunc(periodStart * (1 - o.scaleDownPercent / 100));
    return desired < limit ? { value: Math.min(current, limit), limited: true } : { value: desired, limited: false };
  }
  return { value: desired, limited: false };
}

/** Drops history no window can reach any more, so state stays bounded. */
export function prune(state: DeciderState, now: number, keepMs: number, rateMs: number): DeciderState {
  return {
    ...state,
    recommendations: state.recommendations.filter((r) => r.at > now - keepMs),
    scaleEvents: state.scaleEvents.filter((e) => e.at > now - rateMs),
  };
}
