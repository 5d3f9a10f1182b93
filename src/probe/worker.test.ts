import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { ProbeSpec } from '../spec/index.js';
import { advance, flush, probeSpec, scripted, stubTarget } from '../../test/support/probe.js';
import type { ProbeKind, ProbeOutcome, ProbeResult, PublishedResult } from './types.js';
import { ProbeWorker } from './worker.js';

const HOUR = 3_600_000;

function setup(opts: {
  kind?: ProbeKind;
  spec?: Partial<ProbeSpec>;
  answers?: ProbeResult[] | ((n: number) => ProbeResult);
  agentAgoMs?: number;
  containerAgoMs?: number;
  random?: () => number;
  gate?: () => boolean;
}) {
  const clock = new ManualClock();
  const t0 = clock.now();
  const s = scripted(clock, opts.answers ?? ['success']);
  const published: { at: number; value: PublishedResult; outcome: ProbeOutcome }[] = [];
  const worker = new ProbeWorker({
    kind: opts.kind ?? 'readiness',
    spec: probeSpec(opts.spec),
    target: stubTarget,
    clock,
    probe: s.probe,
    agentStartedAt: t0 - (opts.agentAgoMs ?? HOUR),
    containerStartedAt: t0 - (opts.containerAgoMs ?? 0),
    random: opts.random,
    gate: opts.gate,
    onPublish: (value, outcome) => published.push({ at: clock.now() - t0, value, outcome }),
  });
  // Call times relative to t0.
  const calls = () => s.calls.map((at) => at - t0);
  return { clock, t0, worker, calls, published };
}

describe('ProbeWorker timing (kubelet prober/worker.go)', () => {
  it('probes at once when the agent has run longer than a period, then every period', async () => {
    const { clock, worker, calls } = setup({ spec: { period_seconds: 10 } });
    worker.run();
    await flush();
    expect(calls()).toEqual([0]);
    await advance(clock, 30_000, 1000);
    expect(calls()).toEqual([0, 10_000, 20_000, 30_000]);
    worker.stop();
  });

  const jitterCases = [
    { name: 'agent just started: first probe after random × period', agentAgoMs: 0, random: 0.25, first: 2500 },
    { name: 'agent started less than one period ago: still jittered', agentAgoMs: 9_999, random: 0.5, first: 5000 },
    { name: 'agent started exactly one period ago: at once', agentAgoMs: 10_000, random: 0.5, first: 0 },
    { name: 'random 0 means at once', agentAgoMs: 0, random: 0, first: 0 },
  ];
  for (const c of jitterCases) {
    it(`jitter: ${c.name}`, async () => {
      const { clock, worker, calls } = setup({
        spec: { period_seconds: 10 },
        agentAgoMs: c.agentAgoMs,
        random: () => c.random,
      });
      worker.run();
      await flush();
      await advance(clock, 20_000, 100);
      expect(calls()[0]).toBe(c.first);
      // Then every period from the first probe.
      expect(calls()[1]).toBe(c.first + 10_000);
      worker.stop();
    });
  }

  const delayCases = [
    // floor((now − start)/1000) < delay skips: started 0.5 s before t0, delay 2 → ticks at 0.5 s and 1.5 s skip, 2.5 s probes.
    {
      name: 'floor rule: 2.5 s elapsed is the first tick at or after a 2 s delay',
      containerAgoMs: 500,
      delay: 2,
      first: 2000,
    },
    { name: 'container started at t0, delay 2: probes at 2 s', containerAgoMs: 0, delay: 2, first: 2000 },
    { name: '1.999 s elapsed floors to 1: still skipped', containerAgoMs: 999, delay: 2, first: 2000 },
    { name: 'delay already over when the worker starts', containerAgoMs: 5000, delay: 3, first: 0 },
    { name: 'delay 0: at once', containerAgoMs: 0, delay: 0, first: 0 },
  ];
  for (const c of delayCases) {
    it(`initial delay: ${c.name}`, async () => {
      const { clock, worker, calls } = setup({
        spec: { period_seconds: 1, initial_delay_seconds: c.delay },
        containerAgoMs: c.containerAgoMs,
      });
      worker.run();
      await flush();
      await advance(clock, 4000, 100);
      expect(calls()[0]).toBe(c.first);
      worker.stop();
    });
  }

  it('does not probe while the gate is closed, and probes on trigger once it opens', async () => {
    let open = false;
    const { clock, worker, calls } = setup({ spec: { period_seconds: 10 }, gate: () => open });
    worker.run();
    await advance(clock, 25_000, 1000);
    expect(calls()).toEqual([]);
    open = true;
    worker.trigger();
    await flush();
    expect(calls()).toEqual([25_000]);
    await advance(clock, 5000, 1000);
    expect(calls()).toEqual([25_000, 30_000]); // the ticker keeps its own phase
    worker.stop();
  });

  it('trigger during the first-probe jitter probes at once and starts the ticker from there', async () => {
    const { clock, worker, calls } = setup({ spec: { period_seconds: 10 }, agentAgoMs: 0, random: () => 0.9 });
    worker.run();
    await advance(clock, 1000, 100);
    expect(calls()).toEqual([]);
    worker.trigger();
    await flush();
    await advance(clock, 10_000, 500);
    expect(calls()).toEqual([1000, 11_000]);
    worker.stop();
  });
});

describe('ProbeWorker counting and publishing', () => {
  it('readiness: published success on the first success, failure after failure_threshold in a row', async () => {
    const answers: ProbeResult[] = ['success', 'failure', 'failure', 'success', 'failure', 'failure', 'failure'];
    const { clock, worker, published } = setup({ answers, spec: { failure_threshold: 3 } });
    expect(worker.published).toBe('failure');
    worker.run();
    await flush();
    await advance(clock, 6000, 1000);
    expect(published.map((p) => [p.at, p.value])).toEqual([
      [0, 'success'],
      [6000, 'failure'],
    ]);
    expect(worker.published).toBe('failure');
    worker.stop();
  });

  it('readiness with success_threshold 2 (EAS health_check style)', async () => {
    const { clock, worker, published } = setup({
      answers: ['success'],
      spec: { success_threshold: 2, period_seconds: 3 },
    });
    worker.run();
    await advance(clock, 3000, 1000);
    expect(published.map((p) => [p.at, p.value])).toEqual([[3000, 'success']]);
    worker.stop();
  });

  it('unknown outcomes are discarded and a throwing probe counts as unknown', async () => {
    const clock = new ManualClock();
    let n = 0;
    const published: PublishedResult[] = [];
    const worker = new ProbeWorker({
      kind: 'liveness',
      spec: probeSpec({ failure_threshold: 2 }),
      target: stubTarget,
      clock,
      agentStartedAt: 0,
      containerStartedAt: clock.now(),
      probe: async () => {
        n++;
        if (n === 2) throw new Error('prober broke');
        return n === 3 ? { result: 'unknown', message: '' } : { result: 'failure', message: 'x' };
      },
      onPublish: (v) => published.push(v),
    });
    worker.run();
    await advance(clock, 2000, 1000);
    expect(n).toBe(3);
    expect(published).toEqual([]); // failure, (error), (unknown): only one failure counted
    await advance(clock, 1000, 1000);
    expect(published).toEqual(['failure']);
    worker.stop();
  });

  const holdCases: { kind: ProbeKind; initial: PublishedResult | undefined }[] = [
    { kind: 'liveness', initial: 'success' },
    { kind: 'startup', initial: undefined },
  ];
  for (const c of holdCases) {
    it(`${c.kind}: after a published failure the worker holds (no more probes, no timers)`, async () => {
      const { clock, worker, calls, published } = setup({
        kind: c.kind,
        answers: ['failure'],
        spec: { failure_threshold: 3 },
      });
      expect(worker.published).toBe(c.initial);
      worker.run();
      await advance(clock, 10_000, 1000);
      expect(calls()).toEqual([0, 1000, 2000]);
      expect(published.map((p) => p.value)).toEqual(['failure']);
      expect(worker.holding).toBe(true);
      expect(worker.counterState.run).toBe(0);
      expect(clock.pendingTimers()).toBe(0);
      expect(await worker.step()).toBe(false);
      expect(calls()).toHaveLength(3);
    });
  }

  it('readiness keeps probing after a published failure', async () => {
    const { clock, worker, calls } = setup({ answers: ['failure'], spec: { failure_threshold: 1 } });
    worker.run();
    await advance(clock, 5000, 1000);
    expect(calls()).toHaveLength(6);
    worker.stop();
  });
});

describe('ProbeWorker stop and terminate', () => {
  it('stop is safe twice, clears timers, and drops an answer in flight', async () => {
    const clock = new ManualClock();
    let answer: ((o: ProbeOutcome) => void) | undefined;
    const published: PublishedResult[] = [];
    const worker = new ProbeWorker({
      kind: 'readiness',
      spec: probeSpec(),
      target: stubTarget,
      clock,
      agentStartedAt: 0,
      containerStartedAt: clock.now(),
      probe: () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
      onPublish: (v) => published.push(v),
    });
    worker.run();
    expect(answer).toBeDefined();
    worker.stop();
    worker.stop();
    answer?.({ result: 'success', message: 'late' });
    await worker.settled();
    expect(published).toEqual([]);
    expect(worker.published).toBe('failure');
    expect(clock.pendingTimers()).toBe(0);
    worker.run(); // a stopped worker does not restart
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a tick during a slow probe queues one probe right after it (timeout > period)', async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    const resolvers: (() => void)[] = [];
    const worker = new ProbeWorker({
      kind: 'readiness',
      spec: probeSpec({ period_seconds: 1, timeout_seconds: 5 }),
      target: stubTarget,
      clock,
      agentStartedAt: 0,
      containerStartedAt: clock.now(),
      probe: () => {
        calls.push(clock.now());
        return new Promise((resolve) => resolvers.push(() => resolve({ result: 'success', message: '' })));
      },
    });
    const t0 = clock.now();
    worker.run();
    await advance(clock, 3000, 1000); // three ticks while the first probe is still open
    expect(calls.map((c) => c - t0)).toEqual([0]);
    resolvers[0]();
    await flush();
    expect(calls.map((c) => c - t0)).toEqual([0, 3000]);
    resolvers[1]();
    worker.stop();
    await worker.settled();
  });

  it('terminate: liveness publishes success (after failures below threshold) and stops', async () => {
    const { clock, worker, calls, published } = setup({
      kind: 'liveness',
      answers: ['failure'],
      spec: { failure_threshold: 3 },
    });
    worker.run();
    await advance(clock, 1000, 1000);
    expect(calls()).toHaveLength(2);
    worker.terminate();
    await advance(clock, 5000, 1000);
    expect(calls()).toHaveLength(2);
    expect(published).toEqual([]); // it was published success already: no change
    expect(worker.published).toBe('success');
    expect(clock.pendingTimers()).toBe(0);
    worker.terminate();
  });

  it('terminate: startup publishes success and stops', async () => {
    const { clock, worker, published } = setup({
      kind: 'startup',
      answers: ['failure'],
      spec: { failure_threshold: 5 },
    });
    worker.run();
    await advance(clock, 1000, 1000);
    worker.terminate();
    expect(published.map((p) => p.value)).toEqual(['success']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('terminate: readiness goes on', async () => {
    const { clock, worker, calls } = setup({ kind: 'readiness' });
    worker.run();
    worker.terminate();
    await advance(clock, 2000, 1000);
    expect(calls()).toEqual([0, 1000, 2000]);
    worker.stop();
  });
});
