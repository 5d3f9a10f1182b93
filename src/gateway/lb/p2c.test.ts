import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../types.js';
import { pickEndpoint } from './p2c.js';

const ep = (id: string): Endpoint => ({ instanceId: id, host: '127.0.0.1', port: 1, revision: 1 });
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('pickEndpoint (p2c)', () => {
  const a = ep('a');
  const b = ep('b');
  const c = ep('c');
  const table: { name: string; cands: Endpoint[]; load: Record<string, number>; rnd: number[]; want?: string }[] = [
    { name: 'no candidates', cands: [], load: {}, rnd: [0.5] },
    { name: 'one candidate', cands: [a], load: { a: 99 }, rnd: [0.9], want: 'a' },
    { name: 'two, second less loaded', cands: [a, b], load: { a: 3, b: 1 }, rnd: [0, 0], want: 'b' },
    { name: 'two, first less loaded', cands: [a, b], load: { a: 0, b: 1 }, rnd: [0.99, 0], want: 'a' },
    { name: 'tie keeps the first drawn', cands: [a, b], load: { a: 1, b: 1 }, rnd: [0.99, 0], want: 'b' },
    { name: 'three: draws c and a, a idle', cands: [a, b, c], load: { a: 0, b: 0, c: 5 }, rnd: [0.9, 0], want: 'a' },
    {
      name: 'three: draws a and c (skip over a)',
      cands: [a, b, c],
      load: { a: 4, b: 0, c: 2 },
      rnd: [0, 0.9],
      want: 'c',
    },
    { name: 'random() of 1 stays in range', cands: [a, b, c], load: { a: 1, b: 1, c: 0 }, rnd: [1, 1], want: 'c' },
  ];
  for (const row of table) {
    it(row.name, () => {
      const got = pickEndpoint(row.cands, (id) => row.load[id] ?? 0, seq(...row.rnd));
      expect(got?.instanceId).toBe(row.want);
    });
  }

  it('never picks the most loaded of three when two are idle', () => {
    const random = seq(0.1, 0.7, 0.4, 0.2, 0.9, 0.5, 0.3);
    for (let k = 0; k < 100; k++) {
      expect(pickEndpoint([a, b, c], (id) => (id === 'c' ? 10 : 0), random)?.instanceId).not.toBe('c');
    }
  });
});
