/**
 * The scaling decision: a pure function of the spec, a metrics snapshot, the
 * decider's state and `now` (knative scaling/autoscaler.go's Scale, with the HPA's
 * tolerance, stabilization and rate limits). "No data yet" is `valid: false`.
 *
 * Order: metric recommendations (largest wins, tolerance 10%) → burst (panic) mode →
 * no scale-down while a metric is missing → stabilization windows → rate limits →
 * clamp to [min, max]. Scale to zero and activation from zero short-cut the chain.
 */
import type { AutoscalerSpec, ScaleStrategy } from '../spec/index.js';
import { prune, rateLimit, stabilize } from './limits.js';
import { panicWant, recommend } from './recommend.js';
import type { DecideInput, DecideOptions, DeciderState, Decision, Policy } from './types.js';
import { decideOptions } from './types.js';

/** The metrics of a config; the short form `strategies: {qps: 10}` is read too. */
export function strategiesOf(config: AutoscalerSpec): ScaleStrategy[] {
  if (Array.isArray(config.scaleStrategies) && config.scaleStrategies.length > 0) return config.scaleStrategies;
  const short = config.strategies;
  if (short && typeof short === 'object') {
    return Object.entries(short as Record<string, unknown>)
      .filter((e): e is [ScaleStrategy['metricName'], number] => typeof e[1] === 'number')
      .map(([metricName, threshold]) => ({ metricName, threshold }));
  }
  return [];
}

function behaviorOf(config: AutoscalerSpec) {
  const b = config.behavior ?? ({} as Partial<AutoscalerSpec['behavior']>);
  return {
    upMs: (b.scaleUp?.stabilizationWindowSeconds ?? 0) * 1000,
    downMs: (b.scaleDown?.stabilizationWindowSeconds ?? 300) * 1000,
    graceMs: (b.onZero?.scaleDownGracePeriodSeconds ?? 600) * 1000,
    activation: Math.max(1, b.onZero?.scaleUpActivationReplicas ?? 1),
  };
}

function plural(n: number): string {
  return n === 1 ? '1 instance' : `${n} instances`;
}

export function decide(
  config: AutoscalerSpec,
  input: DecideInput,
  state: DeciderState,
  now: number,
  policy: Policy | Partial<DecideOptions> = 'pier',
): Decision {
  const o = decideOptions(typeof policy === 'string' ? { policy } : policy);
  const hpa = o.policy === 'hpa';
  const beh = behaviorOf(config);
  const max = Math.max(1, config.max);
  const min = Math.min(max, Math.max(0, input.minOverride ?? config.min));
  const { current, metrics } = input;
  const ready = Math.max(0, input.ready);
  // Queue items wait for an instance as held requests do: they wake a service at zero and keep it from zero.
  const pending = (input.pendingRequests ?? 0) + (input.backlog ?? 0);
  const strategies = strategiesOf(config);
  const wasPanic = state.panicRenewedAt !== undefined;
  const keepMs = Math.max(beh.upMs, beh.downMs, 1);

  const finish = (desired: number, reason: string, s: DeciderState, panic = false): Decision => {
    let next = { ...s, recommendations: [...s.recommendations], scaleEvents: [...s.scaleEvents] };
    if (desired !== current) next.scaleEvents.push({ at: now, change: desired - current });
    next = prune(next, now, keepMs, o.ratePeriodMs);
    return { desired, valid: true, reason, panic, nextState: next };
  };
  const noDecision = (reason: string, s: DeciderState = state): Decision => ({
    desired: current,
    valid: false,
    reason,
    panic: s.panicRenewedAt !== undefined,
    nextState: s,
  });

  // The HPA decides once per loop period (15 s).
  if (hpa && state.lastDecisionAt !== undefined && now - state.lastDecisionAt < o.hpaPeriodMs) {
    return noDecision(`hpa: next loop in ${Math.ceil((state.lastDecisionAt + o.hpaPeriodMs - now) / 1000)} s`);
  }
  const base: DeciderState = hpa ? { ...state, lastDecisionAt: now } : state;
  const recorded = (value: number, s: DeciderState = base): DeciderState => ({
    ...s,
    recommendations: [...s.recommendations, { at: now, value }],
  });

  if (strategies.length === 0) return noDecision('no decision: the autoscaler names no metric', base);
  const stable = recommend(strategies, metrics.stable, current, ready, o.tolerance);

  // Activation from zero: a held request starts instances at once.
  if (current === 0 && pending > 0) {
    const fromMetrics = Math.max(0, ...stable.recs.map((r) => r.want));
    const want = Math.min(max, Math.max(beh.activation, min, fromMetrics));
    const s = recorded(want);
    const what = input.backlog ? `${pending} request(s) or queue item(s)` : `${pending} request(s)`;
    return finish(want, `${what} waiting with no instance → activate ${plural(want)}`, s);
  }
  if (hpa && current === 0 && min > 0) return noDecision('hpa: scaling is not active at 0 instances', base);

  if (stable.recs.length === 0) {
    if (current < min || current > max) {
      const to = Math.min(max, Math.max(min, current));
      return finish(to, `${plural(current)} outside [${min}, ${max}] → ${plural(to)}`, base);
    }
    const names = stable.missing.join(', ');
    return noDecision(`no decision yet: no data for ${names}`, base);
  }

  // Scale to zero: min 0, nothing in flight or waiting, idle for the grace period.
  const idleSince = metrics.lastRequestAt ?? metrics.dataSince;
  const inflight = metrics.panic.concurrency ?? metrics.stable.concurrency ?? 0;
  if (
    min === 0 &&
    current > 0 &&
    pending === 0 &&
    inflight === 0 &&
    idleSince !== undefined &&
    now - idleSince >= beh.graceMs
  ) {
    const s = recorded(0, { ...base, panicRenewedAt: undefined, panicPeak: undefined });
    const none = input.backlog === undefined ? 'no requests' : 'no requests and an empty queue';
    return finish(0, `${none} for ${Math.round((now - idleSince) / 1000)} s → scale to zero`, s);
  }

  const top = stable.recs.reduce((a, b) => (b.want > a.want ? b : a));
  let rec = top.want;
  let lead = top.text;
  const notes: string[] = [];

  // Burst (panic) mode, as Knative's KPA (knative/serving pkg/autoscaler/scaling/autoscaler.go): not for the HPA policy.
  let next: DeciderState = base;
  if (!hpa) {
    const burst = panicWant(strategies, metrics.panic, ready, o.panicWindowMs);
    const over = burst !== undefined && burst.want / Math.max(1, ready) >= o.panicThreshold;
    let renewed = state.panicRenewedAt;
    if (over) renewed = now;
    else if (renewed !== undefined && now - renewed > o.stableWindowMs) renewed = undefined;
    if (renewed !== undefined) {
      const peak = Math.max(rec, burst?.want ?? 0, state.panicPeak ?? 0, current);
      if (burst && burst.want > rec) lead = `burst: ${burst.text}`;
      notes.push(peak > Math.max(rec, burst?.want ?? 0) ? `burst mode holds ${peak} (no scale-down)` : 'burst mode');
      rec = peak;
      next = { ...base, panicRenewedAt: renewed, panicPeak: peak };
    } else {
      next = { ...base, panicRenewedAt: undefined, panicPeak: undefined };
      if (wasPanic) notes.push('burst mode over');
    }
  }
  const panic = next.panicRenewedAt !== undefined;

  if (stable.missing.length > 0 && rec < current) {
    notes.push(`no scale-down while ${stable.missing.join(', ')} has no data`);
    rec = current;
  }

  const s = recorded(rec, next);
  const st = stabilize(next.recommendations, rec, current, now, panic ? 0 : beh.upMs, beh.downMs);
  if (st.heldBy === 'down') notes.push(`held at ${st.value} by the ${beh.downMs / 1000} s scale-down window`);
  if (st.heldBy === 'up') notes.push(`held at ${st.value} by the ${beh.upMs / 1000} s scale-up window`);

  const rl = rateLimit(next.scaleEvents, current, st.value, now, o);
  if (rl.limited) notes.push(`limited to ${rl.value} by the scale rate`);

  const floor = min > 0 ? min : current > 0 || rl.value > 0 ? 1 : 0;
  const desired = Math.min(max, Math.max(floor, rl.value));
  if (desired !== rl.value) {
    const bound = desired === max ? `max ${max}` : min > 0 ? `min ${min}` : 'min 1 until the zero grace period';
    notes.push(`clamped to ${bound}`);
  }
  return finish(desired, [lead, ...notes].join('; '), s, panic);
}
