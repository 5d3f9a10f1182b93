/**
 * Issue 12, defect 7: an instance re-adopted by a restarted Pier that was ready
 * before starts ready (and started), and leaves readiness only when the probe
 * fails `failure_threshold` times in a row.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import type { ContainerSpec } from '../spec/index.js';
import { advance, probeSpec, stubTarget } from '../../test/support/probe.js';
import { probeSpecsFor } from './defaults.js';
import { createInstanceProber } from './prober.js';
import type { InstanceHealthListener, ProbeFn, ProbeResult } from './types.js';

function setup(answer: (n: number) => ProbeResult, restoredReady: boolean) {
  const clock = new ManualClock();
  const container: ContainerSpec = {
    env: [],
    port: 8000,
    startup_check: probeSpec({ period_seconds: 1, failure_threshold: 1 }),
    readiness_check: probeSpec({ period_seconds: 1, failure_threshold: 3 }),
  };
  const kinds: string[] = [];
  let n = 0;
  const probe: ProbeFn = async (spec) => {
    kinds.push(spec === container.startup_check ? 'startup' : 'readiness');
    const result = answer(n++);
    return { result, message: result };
  };
  const events: string[] = [];
  const listener: InstanceHealthListener = {
    readinessChanged: (ready) => events.push(`ready=${ready}`),
    started: () => events.push('started'),
    killRequested: (kind) => events.push(`kill ${kind}`),
    probeFailed: () => {},
  };
  const prober = createInstanceProber({
    probes: probeSpecsFor(container, 8000),
    servingPort: container.port,
    target: stubTarget,
    clock,
    listener,
    // A Pier process that has just started, adopting an instance that has run for an hour.
    agentStartedAt: clock.now(),
    containerStartedAt: clock.now() - 3_600_000,
    random: () => 0.5,
    probe,
    ...(restoredReady ? { restoredReady: true } : {}),
  });
  return { clock, prober, events, kinds };
}

describe('restoredReady (issue 12, defect 7)', () => {
  it('starts ready and started, probes no startup, and goes not-ready only after failure_threshold failures', async () => {
    const { clock, prober, events, kinds } = setup(() => 'failure', true);
    prober.start();
    expect(prober.health()).toMatchObject({ ready: true, started: true });
    await advance(clock, 1500);
    expect(prober.health().ready).toBe(true);
    await advance(clock, 2000);
    expect(prober.health().ready).toBe(false);
    expect(events).toEqual(['started', 'ready=false']);
    expect(kinds).not.toContain('startup');
    prober.stop();
  });

  it('a confirmed readiness publishes nothing new', async () => {
    const { clock, prober, events } = setup(() => 'success', true);
    prober.start();
    await advance(clock, 5000);
    expect(prober.health().ready).toBe(true);
    expect(events).toEqual(['started']);
    prober.stop();
  });

  it('without it, an adopted instance starts not ready (as before)', () => {
    const { prober } = setup(() => 'success', false);
    prober.start();
    expect(prober.health()).toMatchObject({ ready: false, started: false });
    prober.stop();
  });
});
