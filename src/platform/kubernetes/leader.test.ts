import { describe, expect, it } from 'vitest';
import { leaseStep } from './leader.js';

describe('leaseStep', () => {
  const now = 100_000;
  it.each<[string, Parameters<typeof leaseStep>[0], ReturnType<typeof leaseStep>]>([
    ['no Lease: create it', undefined, 'create'],
    ['held by me: renew', { holder: 'me', renewedAt: now - 1000, durationSeconds: 10 }, 'renew'],
    [
      'held by me even when late: renew (nobody took it)',
      { holder: 'me', renewedAt: now - 60_000, durationSeconds: 10 },
      'renew',
    ],
    [
      'held by another, renewed in time: wait',
      { holder: 'other', renewedAt: now - 9_000, durationSeconds: 10 },
      'wait',
    ],
    ['held by another, on the edge: wait', { holder: 'other', renewedAt: now - 10_000, durationSeconds: 10 }, 'wait'],
    [
      'held by another, expired: take over',
      { holder: 'other', renewedAt: now - 10_001, durationSeconds: 10 },
      'take-over',
    ],
    ['released (no holder): take over', { renewedAt: now, durationSeconds: 10 }, 'take-over'],
    ['never renewed: take over', { holder: 'other', durationSeconds: 10 }, 'take-over'],
  ])('%s', (_why, lease, want) => {
    expect(leaseStep(lease, 'me', now)).toBe(want);
  });
});
