/** Helpers for the probe tests: scripted probes and a ManualClock that lets async steps finish. */

import type { ManualClock } from '../../src/clock.js';
import type { ProbeSpec } from '../../src/spec/index.js';
import type { ProbeFn, ProbeResult, ProbeTarget } from '../../src/probe/types.js';

/** Lets every pending microtask (a scripted probe's answer) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advances the clock in small steps, letting async probe steps finish between them. */
export async function advance(clock: ManualClock, ms: number, stepMs = 100): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await flush();
  }
}

export function probeSpec(overrides: Partial<ProbeSpec> = {}): ProbeSpec {
  return {
    http_get: { path: '/', port: 8000, scheme: 'HTTP', http_headers: [] },
    initial_delay_seconds: 0,
    period_seconds: 1,
    timeout_seconds: 1,
    success_threshold: 1,
    failure_threshold: 3,
    ...overrides,
  };
}

export const stubTarget: ProbeTarget = {
  host: '127.0.0.1',
  port: 40000,
  containerPort: 8000,
  exec: () => Promise.reject(new Error('no exec in this test')),
};

export interface Scripted {
  probe: ProbeFn;
  /** Clock time of each call. */
  calls: number[];
}

/** A probe answering from a list (the last answer repeats) or a function of the call index. */
export function scripted(clock: ManualClock, answers: ProbeResult[] | ((n: number) => ProbeResult)): Scripted {
  const calls: number[] = [];
  const probe: ProbeFn = async () => {
    const n = calls.length;
    calls.push(clock.now());
    const result = typeof answers === 'function' ? answers(n) : answers[Math.min(n, answers.length - 1)];
    return { result, message: `answer ${n}: ${result}` };
  };
  return { probe, calls };
}
