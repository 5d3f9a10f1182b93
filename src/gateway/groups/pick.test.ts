import { describe, expect, it } from 'vitest';
import type { Endpoint, GroupRoute, ServiceRoute } from '../types.js';
import { groupShares, pickByKey, pickEndpointByKey, pickWeighted, type Share } from './pick.js';
import { seededRandom } from '../../../test/support/random.js';

const ep = (id: string): Endpoint => ({ instanceId: id, host: '127.0.0.1', port: 1, revision: 1 });

function route(name: string, ready: number): ServiceRoute {
  return {
    name,
    token: `t-${name}`,
    endpoints: Array.from({ length: ready }, (_, i) => ep(`${name}-${i}`)),
    stopped: false,
    rpc: { keepalive: 0, worker_threads: 5, max_queue_size: 64 },
    enableGrpc: false,
    enableWebservice: false,
  };
}

/** A seeded generator (Numerical Recipes LCG): the split test is the same on every run. */
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('groupShares', () => {
  const services = { a: route('a', 2), b: route('b', 1), c: route('c', 0) };
  const table: { name: string; group: Omit<GroupRoute, 'name' | 'token'>; want: number[] }[] = [
    {
      name: 'auto: in proportion to ready instances',
      group: { mode: 'auto', members: ['a', 'b'].map((s) => ({ service: s, weight: 0, standalone: false })) },
      want: [2, 1],
    },
    {
      name: 'custom: the fixed weights',
      group: {
        mode: 'custom',
        members: [
          { service: 'a', weight: 90, standalone: false },
          { service: 'b', weight: 10, standalone: false },
        ],
      },
      want: [90, 10],
    },
    {
      name: 'custom: a member with no ready instance gets 0 whatever its weight',
      group: {
        mode: 'custom',
        members: [
          { service: 'a', weight: 10, standalone: false },
          { service: 'c', weight: 1000, standalone: false },
        ],
      },
      want: [10, 0],
    },
    {
      name: 'standalone members get 0 in both modes',
      group: {
        mode: 'auto',
        members: [
          { service: 'a', weight: 0, standalone: true },
          { service: 'b', weight: 0, standalone: false },
        ],
      },
      want: [0, 1],
    },
    {
      name: 'a member missing from the snapshot gets 0',
      group: { mode: 'custom', members: [{ service: 'gone', weight: 500, standalone: false }] },
      want: [0],
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const got = groupShares({ name: 'g', token: 't', ...row.group }, services);
      expect(got.map((s) => s.weight)).toEqual(row.want);
    });
  }
});

describe('pickWeighted', () => {
  const ab: Share[] = [
    { service: 'a', weight: 80 },
    { service: 'b', weight: 20 },
  ];
  const table: { name: string; shares: Share[]; rnd: number; want: string | undefined }[] = [
    { name: 'nothing to pick', shares: [], rnd: 0.5, want: undefined },
    {
      name: 'all weights 0',
      shares: [
        { service: 'a', weight: 0 },
        { service: 'b', weight: 0 },
      ],
      rnd: 0.5,
      want: undefined,
    },
    { name: 'low draw: first share', shares: ab, rnd: 0, want: 'a' },
    { name: 'just below the boundary', shares: ab, rnd: 0.7999, want: 'a' },
    { name: 'at the boundary', shares: ab, rnd: 0.8, want: 'b' },
    { name: 'random() of 1 stays in range', shares: ab, rnd: 1, want: 'b' },
    {
      name: 'zero-weight shares are never picked',
      shares: [
        { service: 'a', weight: 0 },
        { service: 'b', weight: 5 },
        { service: 'c', weight: 0 },
      ],
      rnd: 0.99,
      want: 'b',
    },
  ];
  for (const row of table) {
    it(row.name, () => expect(pickWeighted(row.shares, seq(row.rnd))).toBe(row.want));
  }

  it('splits 80/20 within 1 percentage point over 100,000 seeded draws', () => {
    const random = seededRandom(17);
    const n = 100_000;
    let a = 0;
    for (let i = 0; i < n; i++) if (pickWeighted(ab, random) === 'a') a++;
    expect(Math.abs(a / n - 0.8)).toBeLessThan(0.01);
  });

  it('splits three ways 50/30/20 within 1 percentage point', () => {
    const shares = [
      { service: 'a', weight: 500 },
      { service: 'b', weight: 300 },
      { service: 'c', weight: 200 },
    ];
    const random = seededRandom(5);
    const n = 100_000;
    const count: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < n; i++) count[pickWeighted(shares, random)!]!++;
    expect(Math.abs(count.a! / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(count.b! / n - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(count.c! / n - 0.2)).toBeLessThan(0.01);
  });
});

describe('pickByKey (weighted rendezvous hashing)', () => {
  const ab: Share[] = [
    { service: 'a', weight: 80 },
    { service: 'b', weight: 20 },
  ];
  const keys = Array.from({ length: 20_000 }, (_, i) => `session-${i}`);

  it('is undefined when nothing has weight', () => {
    expect(pickByKey([{ service: 'a', weight: 0 }], 'k')).toBeUndefined();
    expect(pickByKey([], 'k')).toBeUndefined();
  });

  it('gives the same key the same member every time', () => {
    for (const k of keys.slice(0, 100)) expect(pickByKey(ab, k)).toBe(pickByKey(ab, k));
  });

  it('spreads keys in proportion to the weights (within 2 points)', () => {
    const a = keys.filter((k) => pickByKey(ab, k) === 'a').length;
    expect(Math.abs(a / keys.length - 0.8)).toBeLessThan(0.02);
  });

  it('moves only keys of the member that left when one leaves', () => {
    const three: Share[] = [...ab, { service: 'c', weight: 50 }];
    const before = keys.map((k) => pickByKey(three, k));
    const after = keys.map((k) => pickByKey(ab, k));
    for (let i = 0; i < keys.length; i++) if (before[i] !== 'c') expect(after[i]).toBe(before[i]);
  });

  it('moves keys only towards a member whose weight grew', () => {
    const grown: Share[] = [
      { service: 'a', weight: 80 },
      { service: 'b', weight: 40 },
    ];
    const before = keys.map((k) => pickByKey(ab, k));
    const after = keys.map((k) => pickByKey(grown, k));
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] !== after[i]) {
        moved++;
        expect(after[i]).toBe('b');
      }
    }
    // b's share goes from 20% to 33%: about 13% of keys move, no more.
    expect(moved / keys.length).toBeLessThan(0.17);
  });

  it('does not depend on the order of the shares', () => {
    const reversed = [...ab].reverse();
    for (const k of keys.slice(0, 200)) expect(pickByKey(reversed, k)).toBe(pickByKey(ab, k));
  });
});

describe('pickEndpointByKey', () => {
  const all = ['i1', 'i2', 'i3', 'i4'].map(ep);
  it('is undefined without candidates', () => expect(pickEndpointByKey([], 'k')).toBeUndefined());
  it('keeps a key on its instance while it stays a candidate', () => {
    for (let i = 0; i < 200; i++) {
      const key = `k${i}`;
      const first = pickEndpointByKey(all, key)!;
      const others = all.filter((e) => e.instanceId !== (i % 2 === 0 ? 'i1' : 'i2'));
      const again = pickEndpointByKey(others, key)!;
      if (others.includes(first)) expect(again).toBe(first);
      else expect(others).toContain(again);
    }
  });
  it('spreads keys over every instance', () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const id = pickEndpointByKey(all, `k${i}`)!.instanceId;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    expect(seen.size).toBe(4);
    for (const n of seen.values()) expect(n).toBeGreaterThan(800);
  });
});
