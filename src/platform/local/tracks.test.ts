import { describe, expect, it } from 'vitest';
import type { RolloutInstance } from './rollout.js';
import { planTrackSteps } from './tracks.js';

/** `id:revision` with a state: a = available, r = ready (not yet available), s = starting, u = unscheduled. */
function inst(spec: string, createdAt = 0): RolloutInstance {
  const [id, rev, state = 'a'] = spec.split(':');
  return {
    id: id!,
    revision: Number(rev),
    scheduled: state !== 'u',
    ready: state === 'a' || state === 'r',
    available: state === 'a',
    createdAt,
    ...(state === 'a' || state === 'r' ? { readySince: createdAt } : {}),
  };
}

describe('planTrackSteps', () => {
  const table: {
    name: string;
    tracks: [number, number][];
    instances: string[];
    want: unknown[];
  }[] = [
    {
      name: 'a canary next to the current revision: only the new one starts, nothing goes',
      tracks: [
        [1, 2],
        [2, 1],
      ],
      instances: ['a:1', 'b:1'],
      want: [{ kind: 'create', count: 1, revision: 2 }],
    },
    {
      name: 'every revision at its count and available: nothing to do',
      tracks: [
        [1, 2],
        [2, 1],
      ],
      instances: ['a:1', 'b:1', 'c:2'],
      want: [],
    },
    {
      name: 'both revisions short: both start theirs',
      tracks: [
        [1, 2],
        [2, 2],
      ],
      instances: [],
      want: [
        { kind: 'create', count: 2, revision: 1 },
        { kind: 'create', count: 2, revision: 2 },
      ],
    },
    {
      name: 'a shift 90/10 → 10/90: the grown revision starts first, the shrunk one keeps its instances meanwhile',
      tracks: [
        [1, 1],
        [2, 3],
      ],
      instances: ['a:1', 'b:1', 'c:1', 'd:2'],
      want: [{ kind: 'create', count: 2, revision: 2 }],
    },
    {
      name: 'the grown revision not available yet: still nothing goes',
      tracks: [
        [1, 1],
        [2, 3],
      ],
      instances: ['a:1', 'b:1', 'c:1', 'd:2', 'e:2:r', 'f:2:s'],
      want: [],
    },
    {
      name: 'then the shrunk revision scales down, most recently ready first',
      tracks: [
        [1, 1],
        [2, 3],
      ],
      instances: ['a:1', 'b:1', 'c:1', 'd:2', 'e:2', 'f:2'],
      want: [{ kind: 'remove', ids: ['c', 'b'], reason: 'scale-down' }],
    },
    {
      name: 'a revision left out of the split goes once the split is available',
      tracks: [[2, 2]],
      instances: ['a:1', 'b:1', 'c:2', 'd:2'],
      want: [{ kind: 'remove', ids: ['a', 'b'], reason: 'replaced' }],
    },
    {
      name: 'a revision left out of the split stays while the split is short',
      tracks: [[2, 2]],
      instances: ['a:1', 'b:1', 'c:2'],
      want: [{ kind: 'create', count: 1, revision: 2 }],
    },
    {
      name: 'an instance outside the split that is not available goes at once',
      tracks: [[2, 2]],
      instances: ['a:1', 'b:1:s', 'c:2'],
      want: [
        { kind: 'create', count: 1, revision: 2 },
        { kind: 'remove', ids: ['b'], reason: 'unhealthy-old' },
      ],
    },
    {
      name: 'replaced instances (revision -1, a restart) are surged over, then go',
      tracks: [
        [1, 1],
        [2, 1],
      ],
      instances: ['a:-1', 'b:-1'],
      want: [
        { kind: 'create', count: 1, revision: 1 },
        { kind: 'create', count: 1, revision: 2 },
      ],
    },
    {
      name: 'a stopped service (every count 0) stops everything',
      tracks: [
        [1, 0],
        [2, 0],
      ],
      instances: ['a:1', 'b:2:s'],
      want: [{ kind: 'remove', ids: ['a', 'b'], reason: 'scale-down' }],
    },
  ];
  it.each(table)('$name', ({ tracks, instances, want }) => {
    const got = planTrackSteps({
      tracks: tracks.map(([revision, desired]) => ({ revision, desired })),
      instances: instances.map((s, n) => inst(s, n)),
    });
    expect(got).toEqual(want);
  });
});
