import { describe, expect, it } from 'vitest';
import { planRolloutStep, type RolloutInstance, type RolloutSnapshot } from './rollout.js';

let seq = 0;
function inst(revision: number, state: 'available' | 'ready' | 'starting' | 'pending', extra = {}): RolloutInstance {
  seq++;
  return {
    id: `r${revision}-${seq}`,
    revision,
    scheduled: state !== 'pending',
    ready: state === 'available' || state === 'ready',
    available: state === 'available',
    readySince: state === 'available' || state === 'ready' ? seq : undefined,
    createdAt: seq,
    ...extra,
  };
}

function snap(desired: number, instances: RolloutInstance[], maxSurge = 1, maxUnavailable = 0, revision = 2) {
  return { desired, revision, instances, maxSurge, maxUnavailable } satisfies RolloutSnapshot;
}

/** Runs a rollout to the end, making every created instance available at once. */
function simulate(start: RolloutSnapshot, newBecomeAvailable = true) {
  const s = { ...start, instances: [...start.instances] };
  let maxTotal = s.instances.length;
  let minAvailable = s.instances.filter((i) => i.available).length;
  for (let guard = 0; guard < 100; guard++) {
    const step = planRolloutStep(s);
    if (step.kind === 'none') return { s, step, maxTotal, minAvailable };
    if (step.kind === 'create') {
      for (let n = 0; n < step.count; n++) s.instances.push(inst(step.revision, 'starting'));
    } else {
      s.instances = s.instances.filter((i) => !step.ids.includes(i.id));
    }
    maxTotal = Math.max(maxTotal, s.instances.length);
    if (newBecomeAvailable) {
      s.instances = s.instances.map((i) => (i.revision === s.revision ? { ...i, ready: true, available: true } : i));
    }
    minAvailable = Math.min(minAvailable, s.instances.filter((i) => i.available).length);
  }
  throw new Error('rollout did not settle');
}

describe('planRolloutStep', () => {
  it('scales a fresh service up to the desired count at once', () => {
    expect(planRolloutStep(snap(3, [], 1, 0))).toEqual({ kind: 'create', count: 3, revision: 2 });
  });

  it('scales down the least useful instances first: pending, not ready, then most recently ready', () => {
    const a = inst(2, 'available');
    const b = inst(2, 'pending');
    const c = inst(2, 'ready');
    const d = inst(2, 'available');
    const step = planRolloutStep(snap(2, [a, b, c, d]));
    expect(step).toEqual({ kind: 'remove', ids: [b.id, c.id], reason: 'scale-down' });
    const step2 = planRolloutStep(snap(1, [a, d]));
    expect(step2).toEqual({ kind: 'remove', ids: [d.id], reason: 'scale-down' });
  });

  it('surges one new instance and keeps every old one until it is available (surge 1, unavailable 0)', () => {
    const olds = [inst(1, 'available'), inst(1, 'available'), inst(1, 'available')];
    const first = planRolloutStep(snap(3, olds));
    expect(first).toEqual({ kind: 'create', count: 1, revision: 2 });
    const starting = inst(2, 'starting');
    expect(planRolloutStep(snap(3, [...olds, starting]))).toEqual({ kind: 'none', complete: false });
    const ready = { ...starting, ready: true, available: true };
    const step = planRolloutStep(snap(3, [...olds, ready]));
    expect(step.kind).toBe('remove');
    // Among equally available old instances the most recently ready goes first.
    if (step.kind === 'remove') expect(step.ids).toEqual([olds[2].id]);
  });

  it('never drops below desired available with max_unavailable 0 and never exceeds desired + surge', () => {
    const olds = [inst(1, 'available'), inst(1, 'available'), inst(1, 'available')];
    const { s, step, maxTotal, minAvailable } = simulate(snap(3, olds, 1, 0));
    expect(step).toEqual({ kind: 'none', complete: true });
    expect(s.instances.every((i) => i.revision === 2)).toBe(true);
    expect(maxTotal).toBe(4);
    expect(minAvailable).toBeGreaterThanOrEqual(3);
  });

  it('D=10 with 25%/25% (3 surge, 2 unavailable) stays within 8–13 instances', () => {
    const olds = Array.from({ length: 10 }, () => inst(1, 'available'));
    const { step, maxTotal, minAvailable } = simulate(snap(10, olds, 3, 2));
    expect(step).toEqual({ kind: 'none', complete: true });
    expect(maxTotal).toBeLessThanOrEqual(13);
    expect(minAvailable).toBeGreaterThanOrEqual(8);
  });

  it('a version that never becomes ready stalls at the surge while old instances keep serving', () => {
    const olds = [inst(1, 'available'), inst(1, 'available')];
    const { s, step } = simulate(snap(2, olds, 1, 0), false);
    expect(step).toEqual({ kind: 'none', complete: false });
    expect(s.instances.filter((i) => i.revision === 1)).toHaveLength(2);
    expect(s.instances.filter((i) => i.revision === 2)).toHaveLength(1);
  });

  it('removes unhealthy old instances first, within the budget', () => {
    const good = inst(1, 'available');
    const crashing = inst(1, 'starting');
    const step = planRolloutStep(snap(2, [good, crashing, inst(2, 'available')], 1, 0));
    expect(step).toEqual({ kind: 'remove', ids: [crashing.id], reason: 'unhealthy-old' });
  });

  it('with max_unavailable 1 and no surge takes one old instance down first', () => {
    const olds = [inst(1, 'available'), inst(1, 'available'), inst(1, 'available')];
    const step = planRolloutStep(snap(3, olds, 0, 1));
    expect(step.kind).toBe('remove');
    const { minAvailable, step: last } = simulate(snap(3, olds, 0, 1));
    expect(last).toEqual({ kind: 'none', complete: true });
    expect(minAvailable).toBeGreaterThanOrEqual(2);
  });

  it('scaling to zero removes everything', () => {
    const step = planRolloutStep(snap(0, [inst(2, 'available'), inst(2, 'ready')], 1, 0));
    expect(step.kind).toBe('remove');
    if (step.kind === 'remove') expect(step.ids).toHaveLength(2);
  });
});
