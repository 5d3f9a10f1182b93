import { describe, expect, it } from 'vitest';
import { type BackoffEntry, backoffOnExit } from './backoff.js';

describe('backoffOnExit', () => {
  it('waits 0, 10, 20, 40, 80, 160, 300, 300 seconds for an instance that crashes at once', () => {
    let entry: BackoffEntry | undefined;
    let now = 0;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = backoffOnExit(entry, now);
      waits.push(d.waitMs / 1000);
      entry = d.entry;
      now += d.waitMs + 1000; // restarted after the wait, crashed a second later
    }
    expect(waits).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
  });

  it('starts again at 0 when the instance ran more than 600 s since the last update', () => {
    let d = backoffOnExit(undefined, 0);
    d = backoffOnExit(d.entry, 1000);
    d = backoffOnExit(d.entry, 12_000);
    expect(d.waitMs).toBe(20_000);
    const later = backoffOnExit(d.entry, d.entry.updatedAt + 600_001);
    expect(later.waitMs).toBe(0);
    expect(later.entry.delayMs).toBe(10_000);
  });

  it('does not reset at exactly 600 s', () => {
    const first = backoffOnExit(undefined, 0);
    const second = backoffOnExit(first.entry, 600_000);
    expect(second.waitMs).toBe(10_000);
  });
});
