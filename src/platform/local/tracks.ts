/**
 * One step of keeping several revisions running side by side, as a traffic
 * split between revisions needs (Knative runs each Revision at its own scale,
 * https://knative.dev/docs/serving/traffic-management/). Each revision of the
 * split is brought to its own count; instances beyond a count, and those of
 * revisions outside the split, go only once every revision of the split has its
 * count available, so capacity never dips while the split changes. Instances
 * outside the split that are not available (starting, crashing) go at once.
 */

import { removalOrder, type RolloutInstance, type RolloutStep } from './rollout.js';

export interface TrackSnapshot {
  /** Each revision of the split and its instance count. */
  tracks: { revision: number; desired: number }[];
  /** Instances that are not terminating (a replaced one carries a revision no track has). */
  instances: RolloutInstance[];
}

/** The steps to take now (creates per revision, then removals); empty when there is nothing to do. */
export function planTrackSteps(s: TrackSnapshot): RolloutStep[] {
  const steps: RolloutStep[] = [];
  const inSplit = new Set(s.tracks.map((t) => t.revision));
  let settled = true;
  const excess: RolloutInstance[] = [];
  for (const t of s.tracks) {
    const own = s.instances.filter((i) => i.revision === t.revision);
    if (own.length < t.desired) steps.push({ kind: 'create', count: t.desired - own.length, revision: t.revision });
    if (own.filter((i) => i.available).length < t.desired) settled = false;
    if (own.length > t.desired) excess.push(...removalOrder(own).slice(0, own.length - t.desired));
  }
  const outside = s.instances.filter((i) => !inSplit.has(i.revision));
  const unhealthy = removalOrder(outside.filter((i) => !i.available));
  if (unhealthy.length > 0) steps.push({ kind: 'remove', ids: unhealthy.map((i) => i.id), reason: 'unhealthy-old' });
  if (!settled) return steps;
  if (excess.length > 0) steps.push({ kind: 'remove', ids: excess.map((i) => i.id), reason: 'scale-down' });
  const replaced = outside.filter((i) => i.available);
  if (replaced.length > 0) steps.push({ kind: 'remove', ids: replaced.map((i) => i.id), reason: 'replaced' });
  return steps;
}
