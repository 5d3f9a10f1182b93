import { describe, expect, it } from 'vitest';
import { type CounterState, countResult, initialCounterState, type Thresholds } from './counter.js';
import type { ProbeResult, PublishedResult } from './types.js';

interface Case {
  name: string;
  initial: PublishedResult | undefined;
  thresholds: Thresholds;
  results: ProbeResult[];
  /** What each result reports as to be published ('-' = nothing). */
  want: (PublishedResult | '-')[];
  /** Which reports are changes. */
  changed?: boolean[];
  final?: Partial<CounterState>;
}

const ft3: Thresholds = { successThreshold: 1, failureThreshold: 3 };

const cases: Case[] = [
  {
    name: 'failure published on the third failure in a row',
    initial: 'success',
    thresholds: ft3,
    results: ['failure', 'failure', 'failure', 'failure'],
    want: ['-', '-', 'failure', 'failure'],
    changed: [false, false, true, false],
    final: { lastResult: 'failure', run: 4, published: 'failure' },
  },
  {
    name: 'a success resets the failure run',
    initial: 'success',
    thresholds: ft3,
    results: ['failure', 'failure', 'success', 'failure', 'failure'],
    want: ['-', '-', 'success', '-', '-'],
    changed: [false, false, false, false, false],
    final: { lastResult: 'failure', run: 2, published: 'success' },
  },
  {
    name: 'unknown is discarded: neither counted nor resetting the run',
    initial: 'success',
    thresholds: ft3,
    results: ['failure', 'failure', 'unknown', 'failure'],
    want: ['-', '-', '-', 'failure'],
    final: { lastResult: 'failure', run: 3, published: 'failure' },
  },
  {
    name: 'warning counts as success (and continues a success run)',
    initial: 'failure',
    thresholds: { successThreshold: 2, failureThreshold: 3 },
    results: ['warning', 'success'],
    want: ['-', 'success'],
    changed: [false, true],
  },
  {
    name: 'success threshold 2: one success is not enough',
    initial: 'failure',
    thresholds: { successThreshold: 2, failureThreshold: 4 },
    results: ['success', 'failure', 'success', 'success'],
    want: ['-', '-', '-', 'success'],
  },
  {
    name: 'readiness starts published as failure: reaching the failure threshold is no change',
    initial: 'failure',
    thresholds: ft3,
    results: ['failure', 'failure', 'failure'],
    want: ['-', '-', 'failure'],
    changed: [false, false, false],
  },
  {
    name: 'startup: nothing published until the first verdict',
    initial: undefined,
    thresholds: { successThreshold: 1, failureThreshold: 2 },
    results: ['failure', 'success'],
    want: ['-', 'success'],
    changed: [false, true],
  },
  {
    name: 'failure threshold 1 publishes at once; alternating results flip every time',
    initial: 'success',
    thresholds: { successThreshold: 1, failureThreshold: 1 },
    results: ['failure', 'success', 'failure'],
    want: ['failure', 'success', 'failure'],
    changed: [true, true, true],
  },
];

describe('countResult (kubelet resultRun counting)', () => {
  for (const c of cases) {
    it(c.name, () => {
      let state = initialCounterState(c.initial);
      const got: (PublishedResult | '-')[] = [];
      const changed: boolean[] = [];
      for (const r of c.results) {
        const out = countResult(state, r, c.thresholds);
        state = out.state;
        got.push(out.published ?? '-');
        changed.push(out.changed);
      }
      expect(got).toEqual(c.want);
      if (c.changed) expect(changed).toEqual(c.changed);
      if (c.final) expect(state).toMatchObject(c.final);
    });
  }

  it('is pure: the input state is not modified', () => {
    const state = initialCounterState('success');
    const copy = { ...state };
    countResult(state, 'failure', ft3);
    expect(state).toEqual(copy);
  });
});
