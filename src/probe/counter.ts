/**
 * Consecutive counting, pure: kubelet's worker (pkg/kubelet/prober/worker.go)
 * keeps `lastResult` and `resultRun`; a result is published only once it has been
 * seen `threshold` times in a row. Warning counts as Success; Unknown (a prober
 * error) leaves everything untouched.
 */

import type { ProbeResult, PublishedResult } from './types.js';

export interface CounterState {
  lastResult: PublishedResult | undefined;
  run: number;
  /** What was last published; `undefined` = nothing yet (startup before its verdict). */
  published: PublishedResult | undefined;
}

export interface Thresholds {
  successThreshold: number;
  failureThreshold: number;
}

export interface CountResult {
  state: CounterState;
  /** Set when a threshold is reached: the value to publish (it may equal the old one). */
  published?: PublishedResult;
  /** True when `published` differs from what was published before. */
  changed: boolean;
}

export function initialCounterState(published: PublishedResult | undefined): CounterState {
  return { lastResult: undefined, run: 0, published };
}

export function countResult(state: CounterState, result: ProbeResult, thresholds: Thresholds): CountResult {
  if (result === 'unknown') return { state, changed: false };
  const r: PublishedResult = result === 'failure' ? 'failure' : 'success';
  const run = r === state.lastResult ? state.run + 1 : 1;
  const threshold = r === 'success' ? thresholds.successThreshold : thresholds.failureThreshold;
  if (run < Math.max(1, threshold)) {
    return { state: { lastResult: r, run, published: state.published }, changed: false };
  }
  return { state: { lastResult: r, run, published: r }, published: r, changed: r !== state.published };
}
