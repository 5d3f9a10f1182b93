import { describe, expect, it } from 'vitest';
import type { Endpoint, LbPolicy } from '../types.js';
import { pickEndpoint } from './p2c.js';
import { createPeakEwma } from './peak-ewma.js';
import { createRoundRobin } from './round-robin.js';
import { seededRandom } from '../../../test/support/random.js';

/** Every policy passes this one suite (hono's common router cases). */
const policies: [string, () => LbPolicy][] = [
  ['p2c', () => pickEndpoint],
  ['round-robin', createRoundRobin],
  ['peak-ewma', () => createPeakEwma({ now: () => 0 })],
];

const ep = (id: string): Endpoint => ({ instanceId: id, host: '127.0.0.1', port: 1, revision: 1 });

describe.each(policies)('LB policy %s', (_name, make) => {
  it('returns undefined for no candidates', () => {
    expect(make()([], () => 0, Math.random)).toBeUndefined();
  });

  it('returns the only candidate', () => {
    const policy = make();
    for (let i = 0; i < 10; i++) expect(policy([ep('x')], () => i, Math.random)?.instanceId).toBe('x');
  });

  it('uses both of two candidates under equal load', () => {
    const policy = make();
    const seen = new Set<string>();
    const random = seededRandom(7);
    for (let i = 0; i < 50; i++) seen.add(policy([ep('a'), ep('b')], () => 0, random)!.instanceId);
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('never picks an endpoint outside the candidates (excluded ones)', () => {
    const policy = make();
    const all = ['a', 'b', 'c', 'd', 'e'].map(ep);
    const random = seededRandom(3);
    for (let i = 0; i < 500; i++) {
      const excluded = all[i % all.length]!.instanceId;
      const cands = all.filter((e) => e.instanceId !== excluded);
      const got = policy(cands, () => 0, random)!;
      expect(got.instanceId).not.toBe(excluded);
      expect(cands).toContain(got);
    }
  });

  it('spreads load: with outstanding counts tracked, no endpoint gets more than twice its share', () => {
    const policy = make();
    const all = ['a', 'b', 'c', 'd'].map(ep);
    const load: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    const random = seededRandom(11);
    for (let i = 0; i < 4000; i++) load[policy(all, (id) => load[id]!, random)!.instanceId]!++;
    for (const id of Object.keys(load)) expect(load[id]!).toBeLessThan(2000);
    for (const id of Object.keys(load)) expect(load[id]!).toBeGreaterThan(500);
  });

  it('spreads load the same way once equal latencies are recorded (latency-aware policies)', () => {
    const policy = make();
    const all = ['a', 'b', 'c', 'd'].map(ep);
    const load: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    const random = seededRandom(13);
    for (const e of all) policy.record?.(e.instanceId, 1, 1);
    for (let i = 0; i < 4000; i++) {
      const id = policy(all, (x) => load[x]!, random)!.instanceId;
      load[id]!++;
      policy.record?.(id, 1, 1);
    }
    for (const id of Object.keys(load)) expect(load[id]!).toBeLessThan(2000);
    for (const id of Object.keys(load)) expect(load[id]!).toBeGreaterThan(500);
  });
});
