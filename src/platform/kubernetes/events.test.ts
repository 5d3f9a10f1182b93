import type { CoreV1Event } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { eventKey, platformEvent } from './events.js';

const lookup = {
  podService: (pod: string) => (pod.startsWith('echo-') ? 'echo' : undefined),
  deploymentService: (name: string) => (name === 'echo' ? 'echo' : undefined),
};
const since = Date.parse('2026-12-01T10:00:00Z');

function event(kind: string, name: string, over: Partial<CoreV1Event> = {}): CoreV1Event {
  return {
    metadata: { uid: 'u1' },
    involvedObject: { kind, name },
    reason: 'Scheduled',
    message: 'assigned',
    type: 'Normal',
    lastTimestamp: new Date('2026-12-01T10:00:05Z'),
    ...over,
  } as CoreV1Event;
}

describe('platformEvent', () => {
  it.each<[string, CoreV1Event, object | undefined]>([
    [
      'a pod of the service',
      event('Pod', 'echo-abc-1'),
      { service: 'echo', instance: 'echo-abc-1', reason: 'Scheduled' },
    ],
    [
      'its Deployment',
      event('Deployment', 'echo', { reason: 'ScalingReplicaSet' }),
      { service: 'echo', reason: 'ScalingReplicaSet' },
    ],
    [
      'its ReplicaSet',
      event('ReplicaSet', 'echo-5d8f7c', { type: 'Warning', reason: 'FailedCreate' }),
      { service: 'echo', type: 'Warning' },
    ],
    ['a pod of no service', event('Pod', 'other-1'), undefined],
    ['another kind', event('Node', 'kwok-node-0'), undefined],
    [
      'from before this Pier started',
      event('Pod', 'echo-abc-1', { lastTimestamp: new Date('2026-12-01T09:59:00Z') }),
      undefined,
    ],
  ])('%s', (_why, e, want) => {
    const got = platformEvent(e, lookup, since);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject(want);
  });

  it('names a repeated Event by its count', () => {
    expect(eventKey(event('Pod', 'echo-1', { count: 3 }))).toBe('u1:3');
    expect(eventKey(event('Pod', 'echo-1'))).toBe('u1:1');
  });
});
