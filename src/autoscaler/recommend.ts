/**
 * Per-metric recommendations (HPA's algorithm, https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details,
 * with EAS thresholds). Load metrics (qps,
 * qps1k, concurrency, and `queue[avgbacklog]`, the items in an async service's input queue)
 * arrive as service totals and follow the HPA "AverageValue" rule:
 * desired = ceil(total / threshold), kept when |total / (threshold × current) − 1| is
 * within tolerance. Utilization metrics (cpu, gpu) are per-instance means and follow
 * the pod-metric rule: desired = ceil(ratio × ready), with instances that have no
 * sample yet counted as the HPA counts missing pods.
 */
import type { ScaleStrategy } from '../spec/index.js';
import type { MetricValues } from './types.js';

export interface MetricRec {
  metric: ScaleStrategy['metricName'];
  want: number;
  /** Human text, e.g. `qps 84.2 over threshold 20 per instance × 1 → 5 instances`. */
  text: string;
}

export interface Recommendations {
  recs: MetricRec[];
  /** Metrics the config names but the window has no data for. */
  missing: ScaleStrategy['metricName'][];
}

const EPS = 1e-9;

/** ceil that ignores float noise (100 / 20 → 5, not 6). */
export function ceilSafe(x: number): number {
  return Math.ceil(x - EPS);
}

function loadTotal(s: ScaleStrategy, v: MetricValues): { total?: number; per: number; scale: number } {
  if (s.metricName === 'qps') return { total: v.qps, per: s.threshold, scale: 1 };
  if (s.metricName === 'qps1k') return { total: v.qps, per: s.threshold / 1000, scale: 1000 };
  if (s.metricName === 'queue[avgbacklog]') return { total: v.backlog, per: s.threshold, scale: 1 };
  return { total: v.concurrency, per: s.threshold, scale: 1 };
}

function isLoad(name: ScaleStrategy['metricName']): boolean {
  return name === 'qps' || name === 'qps1k' || name === 'concurrency' || name === 'queue[avgbacklog]';
}

function plural(n: number): string {
  return n === 1 ? '1 instance' : `${n} instances`;
}

export function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function relation(ratio: number, tolerance: number): string {
  if (Math.abs(ratio - 1) <= tolerance) return `within ${Math.round(tolerance * 100)}% of`;
  return ratio > 1 ? 'over' : 'under';
}

export function recommend(
  strategies: ScaleStrategy[],
  values: MetricValues,
  current: number,
  ready: number,
  tolerance: number,
): Recommendations {
  const recs: MetricRec[] = [];
  const missing: ScaleStrategy['metricName'][] = [];
  for (const s of strategies) {
    const rec = isLoad(s.metricName)
      ? recommendLoad(s, values, current, tolerance)
      : recommendUtilization(s, values, current, ready, tolerance);
    if (rec) recs.push(rec);
    else missing.push(s.metricName);
  }
  return { recs, missing };
}

function recommendLoad(s: ScaleStrategy, v: MetricValues, current: number, tolerance: number): MetricRec | undefined {
  const { total, per, scale } = loadTotal(s, v);
  if (total === undefined || !(per > 0)) return undefined;
  const raw = ceilSafe(total / per);
  const ratio = current > 0 ? total / (per * current) : Number.POSITIVE_INFINITY;
  const keep = current > 0 && Math.abs(ratio - 1) <= tolerance;
  const want = keep ? current : raw;
  const perInstance = (total / Math.max(1, current)) * scale;
  const rel = current > 0 ? relation(ratio, tolerance) : total > 0 ? 'over' : 'at';
  return {
    metric: s.metricName,
    want,
    text: `${s.metricName} ${fmt(perInstance)} ${rel} threshold ${s.threshold} per instance × ${current} → ${plural(want)}`,
  };
}

function recommendUtilization(
  s: ScaleStrategy,
  v: MetricValues,
  current: number,
  ready: number,
  tolerance: number,
): MetricRec | undefined {
  const value = s.metricName === 'cpu' ? v.cpu : v.gpu;
  if (value === undefined || ready <= 0 || current <= 0 || !(s.threshold > 0)) return undefined;
  const ratio = value / s.threshold;
  const unsampled = Math.max(0, current - ready);
  let want: number;
  if (unsampled === 0) {
    want = Math.abs(ratio - 1) <= tolerance ? current : ceilSafe(ratio * ready);
  } else {
    // HPA (replica_calculator.go): instances without a sample count as 0 when scaling up and as the
    // target when scaling down; keep the count if that flips the direction.
    const newRatio =
      ratio > 1
        ? (value * ready) / (s.threshold * current)
        : (value * ready + s.threshold * unsampled) / (s.threshold * current);
    const flipped = ratio > 1 ? newRatio < 1 : newRatio > 1;
    want = flipped || Math.abs(newRatio - 1) <= tolerance ? current : ceilSafe(newRatio * current);
  }
  return {
    metric: s.metricName,
    want,
    text: `${s.metricName} ${fmt(value)}% ${relation(ratio, tolerance)} threshold ${s.threshold}% per instance × ${ready} → ${plural(want)}`,
  };
}

/** KPA panic want (knative/serving scaling/autoscaler.go): raw ceil(value / target) over the short window, no tolerance; the largest metric wins. */
export function panicWant(
  strategies: ScaleStrategy[],
  values: MetricValues,
  ready: number,
  windowMs: number,
): { want: number; text: string } | undefined {
  let best: { want: number; text: string } | undefined;
  const basis = Math.max(1, ready);
  for (const s of strategies) {
    let want: number | undefined;
    let shown = 0;
    if (isLoad(s.metricName)) {
      const { total, per, scale } = loadTotal(s, values);
      if (total !== undefined && per > 0) {
        want = ceilSafe(total / per);
        shown = (total / basis) * scale;
      }
    } else {
      const value = s.metricName === 'cpu' ? values.cpu : values.gpu;
      if (value !== undefined && ready > 0 && s.threshold > 0) {
        want = ceilSafe((value / s.threshold) * ready);
        shown = value;
      }
    }
    if (want === undefined || (best && best.want >= want)) continue;
    best = {
      want,
      text: `${s.metricName} ${fmt(shown)} over the last ${windowMs / 1000} s against threshold ${s.threshold} per instance × ${basis} → ${plural(want)}`,
    };
  }
  return best;
}
