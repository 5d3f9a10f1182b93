import { describe, expect, it } from 'vitest';
import { PierError } from '../errors.js';
import { addCanary, checkCanaryPercent, checkTraffic, revisionReplicas } from './traffic.js';

const revisions = new Set([1, 2, 3]);

function errorsOf(fn: () => unknown): { code: string; errors: unknown } {
  try {
    fn();
  } catch (err) {
    if (err instanceof PierError) return { code: err.code, errors: err.errors };
    throw err;
  }
  throw new Error('did not throw');
}

describe('checkTraffic', () => {
  it.each([
    [
      { '2': 50, '3': 50 },
      [
        { revision: 2, percent: 50 },
        { revision: 3, percent: 50 },
      ],
    ],
    [{ '3': 100 }, [{ revision: 3, percent: 100 }]],
    [
      { '3': 90, '1': 0, '2': 10 },
      [
        { revision: 2, percent: 10 },
        { revision: 3, percent: 90 },
      ],
    ],
  ])('accepts %j', (input, want) => {
    expect(checkTraffic(input, revisions)).toEqual(want);
  });

  it.each([
    [{ '2': 50, '3': 40 }, [{ path: 'traffic', message: 'percents must sum to 100, they sum to 90' }]],
    [{ '2': 50, '3': 50.5 }, [{ path: 'traffic.3', message: 'must be a whole percent 0–100, got 50.5' }]],
    [
      { '2': -1, '3': 101 },
      [
        { path: 'traffic.2', message: 'must be a whole percent 0–100, got -1' },
        { path: 'traffic.3', message: 'must be a whole percent 0–100, got 101' },
      ],
    ],
    [{ '2': '50', '3': 50 }, [{ path: 'traffic.2', message: 'must be a whole percent 0–100, got "50"' }]],
    [{ '7': 100 }, [{ path: 'traffic.7', message: 'revision 7 does not exist; "pier revisions NAME" lists them' }]],
    [
      { v2: 100 },
      [{ path: 'traffic.v2', message: '"v2" is not a revision number; use the numbers "pier revisions NAME" lists' }],
    ],
    [{}, [{ path: 'traffic', message: 'percents must sum to 100, they sum to 0' }]],
  ])('refuses %j with typed errors and paths', (input, want) => {
    expect(errorsOf(() => checkTraffic(input, revisions))).toEqual({ code: 'BAD_REQUEST', errors: want });
  });
});

describe('checkCanaryPercent', () => {
  it.each([1, 10, 99])('accepts %j', (v) => expect(checkCanaryPercent(v)).toBe(v));
  it.each([0, 100, 10.5, '10', null])('refuses %j at path traffic', (v) => {
    expect(errorsOf(() => checkCanaryPercent(v))).toMatchObject({ code: 'BAD_REQUEST', errors: [{ path: 'traffic' }] });
  });
});

describe('addCanary', () => {
  it.each([
    {
      name: 'no split yet: the current revision keeps the rest',
      split: [],
      current: 1,
      rev: 2,
      pct: 10,
      want: [
        [1, 90],
        [2, 10],
      ],
    },
    {
      name: 'an existing split shares the rest in proportion',
      split: [
        [1, 50],
        [2, 50],
      ],
      current: 1,
      rev: 3,
      pct: 20,
      want: [
        [1, 40],
        [2, 40],
        [3, 20],
      ],
    },
    {
      name: 'largest remainder keeps the sum at 100',
      split: [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
      current: 1,
      rev: 4,
      pct: 10,
      want: [
        [1, 30],
        [2, 30],
        [3, 30],
        [4, 10],
      ],
    },
    {
      name: 'an uneven split rounds by remainder',
      split: [
        [1, 67],
        [2, 33],
      ],
      current: 2,
      rev: 3,
      pct: 50,
      want: [
        [1, 34],
        [2, 16],
        [3, 50],
      ],
    },
    {
      name: 'a target rounded to 0 is dropped',
      split: [
        [1, 99],
        [2, 1],
      ],
      current: 1,
      rev: 3,
      pct: 90,
      want: [
        [1, 10],
        [3, 90],
      ],
    },
  ])('$name', ({ split, current, rev, pct, want }) => {
    const got = addCanary(
      split.map(([revision, percent]) => ({ revision: revision!, percent: percent! })),
      current,
      rev,
      pct,
    );
    expect(got.map((t) => [t.revision, t.percent])).toEqual(want);
    expect(got.reduce((n, t) => n + t.percent, 0)).toBe(100);
  });
});

describe('revisionReplicas', () => {
  it.each([
    {
      desired: 2,
      split: [
        [1, 90],
        [2, 10],
      ],
      want: [2, 1],
    },
    {
      desired: 10,
      split: [
        [1, 90],
        [2, 10],
      ],
      want: [9, 1],
    },
    {
      desired: 10,
      split: [
        [1, 50],
        [2, 50],
      ],
      want: [5, 5],
    },
    {
      desired: 3,
      split: [
        [1, 50],
        [2, 50],
      ],
      want: [2, 2],
    },
    {
      desired: 1,
      split: [
        [1, 99],
        [2, 1],
      ],
      want: [1, 1],
    },
    {
      desired: 20,
      split: [
        [1, 34],
        [2, 33],
        [3, 33],
      ],
      want: [7, 7, 7],
    },
    {
      desired: 0,
      split: [
        [1, 90],
        [2, 10],
      ],
      want: [0, 0],
    },
    { desired: 4, split: [[3, 100]], want: [4] },
  ])('$desired instances at $split → $want', ({ desired, split, want }) => {
    const got = revisionReplicas(
      desired,
      split.map(([revision, percent]) => ({ revision: revision!, percent: percent! })),
    );
    expect(got.map((r) => r.replicas)).toEqual(want);
  });
});
