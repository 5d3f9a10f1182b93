/**
 * Revision traffic inside a service, as Knative Serving splits a Service's
 * traffic between its Revisions (https://knative.dev/docs/serving/traffic-management/):
 * pure rules for a split (checking one, adding a canary, promoting) and for how
 * many instances each revision runs. The store keeps the split (store/traffic.ts);
 * the reconciler hands the per-revision counts to the platform.
 */

import { type FieldError, PierError } from '../errors.js';
import type { TrafficTarget } from '../store/index.js';

/** One revision's instance count within a split. */
export interface RevisionReplicas {
  revision: number;
  percent: number;
  replicas: number;
}

/**
 * Checks a requested split (revision → percent, as `pier traffic NAME 2=50 3=50`
 * sends it): whole percents 0–100, summing to 100, of revisions the service has.
 * Targets at 0% are dropped (such a revision keeps no instances). Throws
 * BAD_REQUEST with one error per offending entry, at path `traffic.<revision>`.
 */
export function checkTraffic(input: Record<string, unknown>, revisions: ReadonlySet<number>): TrafficTarget[] {
  const errors: FieldError[] = [];
  const split: TrafficTarget[] = [];
  let sum = 0;
  for (const [key, value] of Object.entries(input)) {
    const path = `traffic.${key}`;
    const revision = /^[1-9]\d*$/.test(key) ? Number(key) : Number.NaN;
    if (!Number.isSafeInteger(revision)) {
      errors.push({ path, message: `"${key}" is not a revision number; use the numbers "pier revisions NAME" lists` });
      continue;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
      errors.push({ path, message: `must be a whole percent 0–100, got ${JSON.stringify(value)}` });
      continue;
    }
    if (!revisions.has(revision)) {
      errors.push({ path, message: `revision ${revision} does not exist; "pier revisions NAME" lists them` });
      continue;
    }
    sum += value;
    if (value > 0) split.push({ revision, percent: value });
  }
  if (errors.length === 0 && sum !== 100) {
    errors.push({ path: 'traffic', message: `percents must sum to 100, they sum to ${sum}` });
  }
  if (errors.length > 0) {
    throw new PierError('BAD_REQUEST', `the traffic split has ${errors.length} error(s)`, { errors });
  }
  return split.sort((a, b) => a.revision - b.revision);
}

/** Checks the `traffic` percent of a modify request: the new revision's share, 1–99. */
export function checkCanaryPercent(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 99) return value;
  throw new PierError('BAD_REQUEST', `"traffic" must be a whole percent 1–99, got ${JSON.stringify(value)}`, {
    errors: [
      {
        path: 'traffic',
        message: `must be a whole percent 1–99 for the new revision (100 is a plain rolling update), got ${JSON.stringify(value)}`,
      },
    ],
  });
}

/**
 * The split after a canary: the new revision takes `percent`, the targets of
 * `split` (or the current revision alone when there is none) share the rest in
 * proportion, rounded by largest remainder so the total stays 100; targets left
 * at 0% are dropped.
 */
export function addCanary(
  split: readonly TrafficTarget[],
  current: number,
  revision: number,
  percent: number,
): TrafficTarget[] {
  const base = split.length > 0 ? split : [{ revision: current, percent: 100 }];
  const rest = 100 - percent;
  const total = base.reduce((n, t) => n + t.percent, 0);
  const exact = base.map((t) => ({ revision: t.revision, value: (t.percent * rest) / total }));
  const out = exact.map((e) => ({ revision: e.revision, percent: Math.floor(e.value) }));
  let left = rest - out.reduce((n, t) => n + t.percent, 0);
  const order = exact.map((e, i) => ({ i, frac: e.value - Math.floor(e.value) })).sort((a, b) => b.frac - a.frac);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]!.percent++;
    left--;
  }
  return [...out.filter((t) => t.percent > 0), { revision, percent }].sort((a, b) => a.revision - b.revision);
}

/**
 * Instances per revision for `desired` instances of the service: each revision
 * runs ceil(desired × percent / 100), and at least 1 when its percent is above 0,
 * so every revision that takes traffic can answer; the total may so be above
 * `desired` (2 at 90/10 runs 2 + 1). A service at 0 (stopped, scaled to zero)
 * runs none of any revision.
 */
export function revisionReplicas(desired: number, split: readonly TrafficTarget[]): RevisionReplicas[] {
  return split.map((t) => ({
    revision: t.revision,
    percent: t.percent,
    replicas: desired <= 0 || t.percent <= 0 ? 0 : Math.max(1, Math.ceil((desired * t.percent) / 100)),
  }));
}
