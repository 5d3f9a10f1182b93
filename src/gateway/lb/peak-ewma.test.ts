import { describe, expect, it } from 'vitest';
import type { Endpoint, LbPolicy } from '../types.js';
import {
  cost,
  createPeakEwma,
  estimateAt,
  nextAverage,
  nextEstimate,
  perRequestMs,
  pickPeakEwma,
  predictedWait,
  type RttEstimate,
} from './peak-ewma.js';
import { seededRandom } from '../../../test/support/random.js';

const ep = (id: string): Endpoint => ({ instanceId: id, host: '127.0.0.1', port: 1, revision: 1 });
const seq = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};
const TAU = 10_000;
/** An estimate whose per-request average is the time itself unless given (one request in flight). */
const e = (rttMs: number, at: number, perMs = rttMs): RttEstimate => ({ rttMs, perMs, at });

describe('peak-EWMA arithmetic', () => {
  const table: { name: string; got: () => number; want: number }[] = [
    { name: 'estimate at its own sample time is the sample', got: () => estimateAt(e(20, 100), 100, TAU), want: 20 },
    { name: 'estimate decays toward 0 by exp(-Δt/τ)', got: () => estimateAt(e(20, 0), TAU, TAU), want: 20 / Math.E },
    { name: 'a clock that went back does not grow it', got: () => estimateAt(e(20, 50), 0, TAU), want: 20 },
    { name: 'a higher sample is the new peak at once', got: () => nextEstimate(e(1, 0), 20, 1, TAU), want: 20 },
    { name: 'a lower sample right away barely moves it', got: () => nextEstimate(e(20, 0), 1, 0, TAU), want: 20 },
    {
      name: 'a lower sample one τ later weighs 1 − 1/e',
      got: () => nextEstimate(e(20, 0), 1, TAU, TAU),
      want: 20 / Math.E + 1 * (1 - 1 / Math.E),
    },
    {
      name: 'a sample above the decayed estimate (not the stored one) is a peak',
      got: () => nextEstimate(e(20, 0), 10, TAU, TAU),
      want: 10,
    },
    {
      name: 'a per-request sample is the time shared by the requests in flight',
      got: () => perRequestMs(20, 4),
      want: 5,
    },
    { name: 'a count below 1 is taken as 1', got: () => perRequestMs(20, 0), want: 20 },
    { name: 'a negative time is taken as 0', got: () => perRequestMs(-1, 1), want: 0 },
    {
      name: 'the per-request average takes no peak: a higher sample right away barely moves it',
      got: () => nextAverage(e(1, 0, 1), 20, 0, TAU),
      want: 1,
    },
    {
      name: 'the per-request average moves by 1 − 1/e toward a sample one τ later',
      got: () => nextAverage(e(1, 0, 1), 20, TAU, TAU),
      want: 1 / Math.E + 20 * (1 - 1 / Math.E),
    },
    {
      name: 'the predicted wait is that average × (outstanding + 1)',
      got: () => predictedWait(e(9, 0, 0.5), 3, 0, TAU),
      want: 2,
    },
    { name: 'cost is estimate × (outstanding + 1)', got: () => cost(e(2, 0), 3, 0, TAU), want: 8 },
    { name: 'cost keeps counting outstanding at a ~0 estimate', got: () => cost(e(0, 0), 3, 0, TAU), want: 0.004 },
  ];
  for (const row of table) it(row.name, () => expect(row.got()).toBeCloseTo(row.want, 9));
});

describe('pickPeakEwma', () => {
  const [a, b, c] = [ep('a'), ep('b'), ep('c')];
  const table: {
    name: string;
    est: Record<string, RttEstimate>;
    load: Record<string, number>;
    rnd: number[];
    now?: number;
    want: string;
  }[] = [
    { name: 'slower loses at equal load', est: { a: e(20, 0), b: e(1, 0) }, load: {}, rnd: [0, 0], want: 'b' },
    { name: 'faster wins when drawn second', est: { a: e(1, 0), b: e(20, 0) }, load: {}, rnd: [0.5, 0], want: 'a' },
    {
      name: 'outstanding counts: 1 ms × 6 costs more than 2 ms × 2',
      est: { a: e(1, 0), b: e(2, 0) },
      load: { a: 5, b: 1 },
      rnd: [0, 0],
      want: 'b',
    },
    {
      name: 'a slow instance idle for long enough is tried again (decay toward 0)',
      est: { a: e(20, 0), b: e(1, 29_000) },
      load: { a: 0, b: 1 },
      rnd: [0, 0],
      now: 30_000,
      want: 'a',
    },
    {
      name: 'no sample yet: judged on outstanding alone (new instance gets traffic)',
      est: { a: e(0.1, 0) },
      load: { a: 1, c: 0 },
      rnd: [0, 0.9],
      want: 'c',
    },
    { name: 'tie keeps the first drawn', est: { a: e(1, 0), c: e(1, 0) }, load: {}, rnd: [0.99, 0], want: 'c' },
    {
      // a: 3.4 ms to headers ten deep (0.34 ms per request); b: 23 ms with none. Finagle's cost
      // prefers b (23 < 37.4); the predicted waits, 3.74 against 23, decide for a.
      name: 'a predicted wait over 1.5× the other loses, whatever the cost says',
      est: { a: e(3.4, 0, 0.34), b: e(23, 0) },
      load: { a: 10, b: 0 },
      rnd: [0, 0],
      want: 'a',
    },
    {
      // Equal instances, 12 and 9 deep: waits 3.9 and 3.0 are within 1.5×, so the cost decides (39 against 30).
      name: 'within 1.5× the cost decides, and the less loaded of equal instances wins',
      est: { a: e(3, 0, 0.3), b: e(3, 0, 0.3) },
      load: { a: 12, b: 9 },
      rnd: [0, 0],
      want: 'b',
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const map = new Map(Object.entries(row.est));
      const got = pickPeakEwma([a, b, c], (id) => row.load[id] ?? 0, seq(...row.rnd), map, row.now ?? 0, TAU);
      expect(got?.instanceId).toBe(row.want);
    });
  }
});

/**
 * A closed-loop run on a simulated clock: `clients` each send one request, wait
 * `latency(id, t, total)` (`total`: requests in flight everywhere), record it with
 * the instance's mean count in flight, and send the next. Returns the picks per
 * instance of the requests sent at or after `countFrom` (simulated ms).
 */
function simulate(opts: {
  policy: LbPolicy;
  clock: { t: number };
  ids: () => string[];
  latency: (id: string, t: number, total: number) => number;
  clients: number;
  untilMs: number;
  countFrom: number;
  seed: number;
}): Record<string, number> {
  const { policy, clock } = opts;
  const random = seededRandom(opts.seed);
  const inflight = new Map<string, number>();
  const picks: Record<string, number> = {};
  const pending: { done: number; sent: number; id: string; running: number }[] = [];
  const send = () => {
    const id = policy(opts.ids().map(ep), (x) => inflight.get(x) ?? 0, random)!.instanceId;
    const running = (inflight.get(id) ?? 0) + 1;
    inflight.set(id, running);
    if (clock.t >= opts.countFrom) picks[id] = (picks[id] ?? 0) + 1;
    pending.push({ done: clock.t + opts.latency(id, clock.t, pending.length + 1), sent: clock.t, id, running });
  };
  for (let k = 0; k < opts.clients; k++) send();
  for (let steps = 0; steps < 1_000_000 && clock.t < opts.untilMs; steps++) {
    let next = 0;
    for (let k = 1; k < pending.length; k++) if (pending[k]!.done < pending[next]!.done) next = k;
    const [r] = pending.splice(next, 1);
    clock.t = r!.done;
    policy.record!(r!.id, clock.t - r!.sent, (r!.running + inflight.get(r!.id)!) / 2);
    inflight.set(r!.id, inflight.get(r!.id)! - 1);
    send();
  }
  expect(clock.t).toBeGreaterThanOrEqual(opts.untilMs);
  return picks;
}

const share = (picks: Record<string, number>, id: string) =>
  (picks[id] ?? 0) / Object.values(picks).reduce((s, n) => s + n, 0);

describe('createPeakEwma under a simulated closed loop (4 instances, one slow)', () => {
  const ids = () => ['a', 'b', 'c', 'slow'];
  const rows: {
    name: string;
    slowMs: (t: number) => number;
    untilMs: number;
    countFrom: number;
    check: (s: number) => void;
  }[] = [
    {
      // ~8 clients × 2 ms over 4 s is ~16k requests; counting starts after the first 200 ms.
      name: 'a 20 ms instance gets under 1% of the traffic once it has been sampled',
      slowMs: () => 20,
      untilMs: 4_000,
      countFrom: 200,
      check: (s) => expect(s).toBeLessThan(0.01),
    },
    {
      name: 'it recovers its share (over 15%, a fair one is 25%) once it speeds up and time passes',
      slowMs: (t) => (t < 2_000 ? 20 : 2),
      untilMs: 60_000,
      countFrom: 50_000,
      check: (s) => expect(s).toBeGreaterThan(0.15),
    },
    {
      name: 'without the slowdown it gets a fair share (20–30%)',
      slowMs: () => 2,
      untilMs: 4_000,
      countFrom: 200,
      check: (s) => {
        expect(s).toBeGreaterThan(0.2);
        expect(s).toBeLessThan(0.3);
      },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const clock = { t: 0 };
      const policy = createPeakEwma({ decayMs: TAU, now: () => clock.t });
      const latency = (id: string, t: number) => (id === 'slow' ? row.slowMs(t) : 2);
      const picks = simulate({
        policy,
        clock,
        ids,
        latency,
        clients: 8,
        untilMs: row.untilMs,
        countFrom: row.countFrom,
        seed: 5,
      });
      row.check(share(picks, 'slow'));
    });
  }

  it('keeps a 20 ms instance under 0.1 % when the gateway is the queue, where the cost alone gives it over 0.5 %', () => {
    // 32 clients on 4 instances, every answer 0.1 ms later per request in flight anywhere (a
    // saturated gateway's event loop); the fast instances then sit ~10 deep at ~3.4 ms each.
    const latency = (id: string, _t: number, total: number) => 0.1 * total + (id === 'slow' ? 20 : 0.2);
    const run = (waitRatio: number) => {
      const clock = { t: 0 };
      const policy = createPeakEwma({ decayMs: 1_000, now: () => clock.t, waitRatio });
      return share(
        simulate({ policy, clock, ids, latency, clients: 32, untilMs: 4_000, countFrom: 1_000, seed: 3 }),
        'slow',
      );
    };
    expect(run(1.5)).toBeLessThan(0.001);
    expect(run(Infinity)).toBeGreaterThan(0.005);
  });

  it('a new instance added to sampled ones gets traffic at once', () => {
    const clock = { t: 0 };
    const policy = createPeakEwma({ decayMs: TAU, now: () => clock.t });
    const latency = () => 2;
    const members = ['a', 'b', 'c'];
    simulate({ policy, clock, ids: () => members, latency, clients: 8, untilMs: 1_000, countFrom: 0, seed: 9 });
    members.push('new');
    const picks = simulate({
      policy,
      clock,
      ids: () => members,
      latency,
      clients: 8,
      untilMs: 1_100,
      countFrom: 0,
      seed: 9,
    });
    expect(share(picks, 'new')).toBeGreaterThan(0.15);
  });

  it('rejects a decay time that is not positive, and a wait ratio below 1', () => {
    expect(() => createPeakEwma({ decayMs: 0 })).toThrow(/decayMs/);
    expect(() => createPeakEwma({ waitRatio: 0.5 })).toThrow(/waitRatio/);
  });
});
