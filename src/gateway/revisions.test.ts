import { describe, expect, it } from 'vitest';
import { revisionCandidates } from './revisions.js';
import type { Endpoint } from './types.js';
import { seededRandom } from '../../test/support/random.js';

const ep = (id: string, revision: number): Endpoint => ({ instanceId: id, host: '127.0.0.1', port: 1, revision });
const two = [ep('a', 2), ep('b', 2), ep('c', 3)];

/** A seeded generator (Numerical Recipes LCG): the split test is the same on every run. */
describe('revisionCandidates', () => {
  const table: {
    name: string;
    traffic: { revision: number; percent: number }[] | undefined;
    candidates: Endpoint[];
    random: number;
    want: string[];
  }[] = [
    { name: 'no split: every candidate', traffic: undefined, candidates: two, random: 0.5, want: ['a', 'b', 'c'] },
    { name: 'empty split: every candidate', traffic: [], candidates: two, random: 0.5, want: ['a', 'b', 'c'] },
    {
      name: 'a draw in the first 90% takes revision 2',
      traffic: [
        { revision: 2, percent: 90 },
        { revision: 3, percent: 10 },
      ],
      candidates: two,
      random: 0.89,
      want: ['a', 'b'],
    },
    {
      name: 'a draw in the last 10% takes revision 3',
      traffic: [
        { revision: 2, percent: 90 },
        { revision: 3, percent: 10 },
      ],
      candidates: two,
      random: 0.9,
      want: ['c'],
    },
    {
      name: 'a revision with no ready instance gives its share to the others',
      traffic: [
        { revision: 2, percent: 10 },
        { revision: 3, percent: 90 },
      ],
      candidates: [ep('a', 2)],
      random: 0.99,
      want: ['a'],
    },
    {
      name: 'no revision of the split ready: the candidates left (a promote draining)',
      traffic: [{ revision: 4, percent: 100 }],
      candidates: two,
      random: 0.3,
      want: ['a', 'b', 'c'],
    },
    { name: 'no candidates: none', traffic: [{ revision: 2, percent: 100 }], candidates: [], random: 0.3, want: [] },
    {
      name: 'random() of 1 stays in range',
      traffic: [
        { revision: 2, percent: 50 },
        { revision: 3, percent: 50 },
      ],
      candidates: two,
      random: 1,
      want: ['c'],
    },
  ];
  it.each(table)('$name', ({ traffic, candidates, random, want }) => {
    expect(revisionCandidates(traffic, candidates, () => random).map((e) => e.instanceId)).toEqual(want);
  });

  it.each([
    [90, 10],
    [50, 50],
    [99, 1],
  ])('splits 100,000 requests %i/%i within half a percent', (p2, p3) => {
    const random = seededRandom(17);
    const traffic = [
      { revision: 2, percent: p2 },
      { revision: 3, percent: p3 },
    ];
    const counts = new Map<number, number>();
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const rev = revisionCandidates(traffic, two, random)[0]!.revision;
      counts.set(rev, (counts.get(rev) ?? 0) + 1);
    }
    expect(Math.abs(((counts.get(2) ?? 0) / n) * 100 - p2)).toBeLessThan(0.5);
    expect(Math.abs(((counts.get(3) ?? 0) / n) * 100 - p3)).toBeLessThan(0.5);
  });
});
