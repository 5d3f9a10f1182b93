import { describe, expect, it } from 'vitest';
import { computeServiceStatus, type StatusInput, type StatusInstance } from './status.js';

const inst = (over: Partial<StatusInstance> = {}): StatusInstance => ({
  id: 'svc-1-a',
  revision: 1,
  state: 'Running',
  ready: true,
  terminating: false,
  ...over,
});

const base: StatusInput = {
  deleting: false,
  stopped: false,
  desired: 2,
  revision: 1,
  everRunning: true,
  instances: [],
};

describe('computeServiceStatus', () => {
  it.each([
    ['Running when every desired instance is ready', { instances: [inst(), inst({ id: 'b' })] }, 'Running'],
    [
      'Creating before the service first ran',
      { everRunning: false, instances: [inst({ ready: false, state: 'Starting' })] },
      'Creating',
    ],
    ['Scaling when the count differs after it ran', { instances: [inst()] }, 'Scaling'],
    [
      'Waiting when the count is right but one is not ready',
      { instances: [inst(), inst({ id: 'b', ready: false })] },
      'Waiting',
    ],
    ['Updating while old revisions serve', { revision: 2, instances: [inst(), inst({ id: 'b' })] }, 'Updating'],
    ['Stopping with instances left', { stopped: true, instances: [inst({ terminating: true })] }, 'Stopping'],
    ['Stopped with none', { stopped: true }, 'Stopped'],
    ['Deleting', { deleting: true }, 'Deleting'],
    ['Running with zero desired (scaled to zero)', { desired: 0 }, 'Running'],
    ['Failed when the platform cannot run it', { unsupportedReason: 'needs a container runtime' }, 'Failed'],
  ] as const)('%s', (_name, over, want) => {
    expect(computeServiceStatus({ ...base, ...over } as StatusInput).status).toBe(want);
  });

  it('is Failed with the reason when every current instance is crash-looping', () => {
    const r = computeServiceStatus({
      ...base,
      everRunning: false,
      instances: [
        inst({ state: 'CrashLoopBackOff', ready: false, message: 'executable "python9" not found' }),
        inst({ id: 'b', state: 'CrashLoopBackOff', ready: false }),
      ],
    });
    expect(r.status).toBe('Failed');
    expect(r.message).toContain('python9');
  });

  it('says a rollout is paused and keeps Updating', () => {
    const r = computeServiceStatus({
      ...base,
      revision: 2,
      pausedReason: 'revision 2 is crash-looping',
      instances: [inst(), inst({ id: 'b' }), inst({ id: 'c', revision: 2, state: 'CrashLoopBackOff', ready: false })],
    });
    expect(r).toMatchObject({ status: 'Updating', reason: 'RolloutPaused' });
  });
});
