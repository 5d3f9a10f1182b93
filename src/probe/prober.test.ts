import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { ContainerSpec, ProbeSpec } from '../spec/index.js';
import { DEFAULT_READINESS_CHECK, probeSpecsFor } from './defaults.js';
import { createInstanceProber } from './prober.js';
import { advance, flush, probeSpec, stubTarget } from '../../test/support/probe.js';
import type { InstanceHealthListener, ProbeFn, ProbeKind, ProbeResult } from './types.js';

type Event = string;

/** Scripted answers per kind, keyed by the spec object the prober passes in. */
function setup(
  container: Partial<ContainerSpec>,
  answers: Partial<Record<ProbeKind, (n: number) => ProbeResult>>,
  opts: { agentAgoMs?: number } = {},
) {
  const clock = new ManualClock();
  const t0 = clock.now();
  const full: ContainerSpec = { env: [], port: 8000, ...container };
  const kindOf = (spec: ProbeSpec): ProbeKind | 'health' | 'default' => {
    if (spec === full.startup_check) return 'startup';
    if (spec === full.liveness_check) return 'liveness';
    if (spec === full.readiness_check) return 'readiness';
    if (spec === full.health_check) return 'health';
    return 'default';
  };
  const calls: { kind: string; at: number; spec: ProbeSpec }[] = [];
  const probe: ProbeFn = async (spec) => {
    const kind = kindOf(spec);
    const n = calls.filter((c) => c.kind === kind).length;
    calls.push({ kind, at: clock.now() - t0, spec });
    const answer = answers[kind === 'health' || kind === 'default' ? 'readiness' : kind];
    const result = answer ? answer(n) : 'success';
    return { result, message: `${kind} #${n} ${result}` };
  };
  const events: Event[] = [];
  const at = () => clock.now() - t0;
  const listener: InstanceHealthListener = {
    readinessChanged: (ready) => events.push(`${at()} ready=${ready}`),
    started: () => events.push(`${at()} started`),
    killRequested: (kind, _o, grace) => events.push(`${at()} kill ${kind} grace=${grace}`),
    probeFailed: (kind) => events.push(`${at()} failed ${kind}`),
  };
  const prober = createInstanceProber({
    probes: probeSpecsFor(full, stubTarget.containerPort ?? stubTarget.port),
    servingPort: full.port,
    target: stubTarget,
    clock,
    listener,
    agentStartedAt: t0 - (opts.agentAgoMs ?? 3_600_000),
    containerStartedAt: t0,
    random: () => 0.5,
    probe,
  });
  const callsOf = (kind: string) => calls.filter((c) => c.kind === kind).map((c) => c.at);
  return { clock, prober, events, calls, callsOf, full };
}

const always = (r: ProbeResult) => (): ProbeResult => r;
const thenAfter =
  (n: number, before: ProbeResult, then: ProbeResult) =>
  (i: number): ProbeResult =>
    i < n ? before : then;

describe('InstanceProber', () => {
  it('without a startup probe: started at start(), readiness probes at once and publishes ready', async () => {
    const { clock, prober, events, callsOf } = setup({ readiness_check: probeSpec({ period_seconds: 5 }) }, {});
    expect(prober.health()).toMatchObject({ started: false, ready: false, live: true });
    prober.start();
    await flush();
    expect(events).toEqual(['0 started', '0 ready=true']);
    expect(prober.health()).toMatchObject({ started: true, ready: true, live: true });
    expect(prober.health().last.readiness).toMatchObject({ result: 'success', at: clock.now() });
    await advance(clock, 10_000, 1000);
    expect(callsOf('readiness')).toEqual([0, 5000, 10_000]);
    prober.stop();
    prober.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('startup holds liveness and readiness at their initial values, then readiness is triggered at once', async () => {
    const { clock, prober, events, callsOf } = setup(
      {
        startup_check: probeSpec({ period_seconds: 10, failure_threshold: 30 }),
        liveness_check: probeSpec({ period_seconds: 3 }),
        readiness_check: probeSpec({ period_seconds: 7 }),
      },
      { startup: thenAfter(2, 'failure', 'success') },
    );
    prober.start();
    await flush();
    await advance(clock, 19_000, 1000);
    // Startup failed at 0 and 10 s; liveness and readiness ticked but did not probe.
    expect(callsOf('startup')).toEqual([0, 10_000]);
    expect(callsOf('liveness')).toEqual([]);
    expect(callsOf('readiness')).toEqual([]);
    expect(prober.health()).toMatchObject({ started: false, ready: false, live: true });
    await advance(clock, 1000, 1000);
    // 20 s: startup succeeds → started, readiness probed in the same instant (not at its 21 s tick).
    expect(callsOf('startup')).toEqual([0, 10_000, 20_000]);
    expect(callsOf('readiness')).toEqual([20_000]);
    expect(events).toEqual(['0 failed startup', '10000 failed startup', '20000 started', '20000 ready=true']);
    // Liveness waits for its own tick (every 3 s from 0: 21 s); startup stops probing.
    await advance(clock, 20_000, 1000);
    expect(callsOf('liveness')[0]).toBe(21_000);
    expect(callsOf('startup')).toHaveLength(3);
    expect(prober.health()).toMatchObject({ started: true, ready: true, live: true });
    prober.stop();
  });

  it('a published startup failure requests a kill with the probe grace and holds', async () => {
    const { clock, prober, events, callsOf } = setup(
      {
        startup_check: probeSpec({ failure_threshold: 2, termination_grace_period_seconds: 7 }),
        liveness_check: probeSpec(),
      },
      { startup: always('failure') },
    );
    prober.start();
    await flush();
    await advance(clock, 5000, 1000);
    expect(callsOf('startup')).toEqual([0, 1000]);
    expect(callsOf('liveness')).toEqual([]);
    expect(events).toEqual(['0 failed startup', '1000 failed startup', '1000 kill startup grace=7']);
    expect(prober.health().started).toBe(false);
    prober.stop();
  });

  it('liveness: kill after failure_threshold failures in a row, then no more liveness probes', async () => {
    const { clock, prober, events, callsOf } = setup(
      {
        liveness_check: probeSpec({ period_seconds: 2, failure_threshold: 3 }),
        readiness_check: probeSpec({ period_seconds: 2 }),
      },
      { liveness: thenAfter(1, 'success', 'failure') },
    );
    prober.start();
    await flush();
    await advance(clock, 12_000, 1000);
    expect(callsOf('liveness')).toEqual([0, 2000, 4000, 6000]);
    expect(events.filter((e) => e.includes('liveness'))).toEqual([
      '2000 failed liveness',
      '4000 failed liveness',
      '6000 failed liveness',
      '6000 kill liveness grace=undefined',
    ]);
    expect(prober.health().live).toBe(false);
    // Readiness is unaffected and keeps probing.
    expect(callsOf('readiness')).toHaveLength(7);
    prober.stop();
  });

  it('readiness changes are published only on change; every failed attempt is reported', async () => {
    const seq: ProbeResult[] = ['success', 'failure', 'failure', 'success', 'failure', 'failure', 'failure', 'failure'];
    const { clock, prober, events } = setup(
      { readiness_check: probeSpec({ failure_threshold: 3 }) },
      { readiness: (n) => seq[Math.min(n, seq.length - 1)] },
    );
    prober.start();
    await flush();
    await advance(clock, 7000, 1000);
    expect(events).toEqual([
      '0 started',
      '0 ready=true',
      '1000 failed readiness',
      '2000 failed readiness',
      '4000 failed readiness',
      '5000 failed readiness',
      '6000 failed readiness',
      '6000 ready=false',
      '7000 failed readiness',
    ]);
    prober.stop();
  });

  it('health_check is the readiness check when there is no readiness_check', async () => {
    const health_check = probeSpec({ period_seconds: 3, success_threshold: 2 });
    const { clock, prober, events, callsOf } = setup({ health_check }, {});
    prober.start();
    await flush();
    await advance(clock, 3000, 1000);
    expect(callsOf('health')).toEqual([0, 3000]);
    expect(events).toEqual(['0 started', '3000 ready=true']);
    prober.stop();
  });

  it('readiness_check wins over health_check', async () => {
    const { prober, callsOf } = setup({ health_check: probeSpec(), readiness_check: probeSpec() }, {});
    prober.start();
    await flush();
    expect(callsOf('readiness')).toEqual([0]);
    expect(callsOf('health')).toEqual([]);
    prober.stop();
  });

  it('no readiness_check nor health_check: a TCP check on the serving port every second', async () => {
    const { clock, prober, calls, events } = setup({ port: 9000 }, {});
    prober.start();
    await flush();
    await advance(clock, 2000, 1000);
    expect(calls.map((c) => [c.kind, c.at])).toEqual([
      ['default', 0],
      ['default', 1000],
      ['default', 2000],
    ]);
    expect(calls[0].spec).toEqual({ tcp_socket: { port: 9000 }, ...DEFAULT_READINESS_CHECK });
    expect(DEFAULT_READINESS_CHECK).toMatchObject({
      period_seconds: 1,
      timeout_seconds: 1,
      success_threshold: 1,
      failure_threshold: 3,
    });
    expect(events).toEqual(['0 started', '0 ready=true']);
    prober.stop();
  });

  it('first probes jitter when Pier itself just started', async () => {
    const { clock, prober, callsOf } = setup(
      { readiness_check: probeSpec({ period_seconds: 10 }) },
      {},
      { agentAgoMs: 0 },
    );
    prober.start();
    await advance(clock, 20_000, 1000);
    expect(callsOf('readiness')).toEqual([5000, 15_000]); // random 0.5 × 10 s
    prober.stop();
  });

  it('terminating: liveness and startup stop without a kill, readiness continues', async () => {
    const { clock, prober, events, callsOf } = setup(
      { liveness_check: probeSpec({ failure_threshold: 2 }), readiness_check: probeSpec({ failure_threshold: 1 }) },
      { liveness: always('failure'), readiness: thenAfter(1, 'success', 'failure') },
    );
    prober.start();
    await flush();
    prober.terminating();
    prober.terminating();
    await advance(clock, 3000, 1000);
    expect(callsOf('liveness')).toEqual([0]);
    expect(callsOf('readiness')).toEqual([0, 1000, 2000, 3000]);
    expect(events.some((e) => e.includes('kill'))).toBe(false);
    expect(events).toContain('1000 ready=false');
    expect(prober.health().live).toBe(true);
    prober.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('terminating before startup succeeded: startup stops, the instance never counts as started', async () => {
    const { clock, prober, events, callsOf } = setup(
      { startup_check: probeSpec({ failure_threshold: 2 }) },
      { startup: always('failure') },
    );
    prober.start();
    await flush();
    prober.terminating();
    await advance(clock, 5000, 1000);
    expect(callsOf('startup')).toEqual([0]);
    expect(callsOf('default')).toEqual([]);
    expect(events).toEqual(['0 failed startup']);
    expect(prober.health().started).toBe(false);
    prober.stop();
  });
});
