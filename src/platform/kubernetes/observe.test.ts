import type { V1Deployment, V1EndpointSlice, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { pauseDecision, podInstance, podRevision, rolloutState, sliceEndpoints } from './observe.js';

const deployment = (revision: number, templateRevision: number, status: V1Deployment['status'] = {}): V1Deployment => ({
  metadata: { name: 'svc', generation: 2, annotations: { 'pier.dev/revision': String(revision) } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { 'pier.dev/service': 'svc' } },
    template: { metadata: { labels: { 'pier.dev/revision': String(templateRevision) } } },
  },
  status,
});

function pod(name: string, revision: number, status: V1Pod['status'] = {}, deleting = false): V1Pod {
  return {
    metadata: {
      name,
      labels: { 'pier.dev/service': 'svc', 'pier.dev/revision': String(revision) },
      ...(deleting ? { deletionTimestamp: new Date(0) } : {}),
    },
    spec: { containers: [{ name: 'serving', ports: [{ containerPort: 8000, name: 'http' }] }] },
    status,
  };
}

const running = (ready: boolean): V1Pod['status'] => ({
  phase: 'Running',
  podIP: '198.18.0.5',
  startTime: new Date(1000),
  conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  containerStatuses: [
    { name: 'serving', image: 'x', imageID: '', ready, restartCount: 2, state: { running: {} } },
  ] as never,
});

describe('podRevision', () => {
  it.each([
    ['a pod of the current template runs the current revision', 3, 3, 3, 3],
    ['a pod of an equivalent revision kept as the template runs the current one', 2, 3, 2, 3],
    ['a pod of an older template keeps its own', 1, 3, 2, 1],
  ])('%s', (_why, podLabel, current, template, want) => {
    expect(podRevision(pod('p', podLabel), deployment(current, template))).toBe(want);
  });

  it('uses the label when the Deployment is not seen yet', () => {
    expect(podRevision(pod('p', 4), undefined)).toBe(4);
  });
});

describe('podInstance', () => {
  it.each<[string, V1Pod, Partial<ReturnType<typeof podInstance>>]>([
    [
      'Pending, unschedulable',
      pod('p', 1, {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes have nvidia.com/gpu' },
        ],
      }),
      { state: 'Pending', ready: false, reason: 'Unschedulable', address: null },
    ],
    [
      'Running and Ready',
      pod('p', 1, running(true)),
      { state: 'Running', ready: true, restarts: 2, address: '198.18.0.5:8000', startedAt: 1000 },
    ],
    ['Running, not Ready', pod('p', 1, running(false)), { state: 'Starting', ready: false }],
    ['deleting', pod('p', 1, running(true), true), { state: 'Terminating', ready: false, terminating: true }],
    [
      'crash-looping, with its last exit',
      pod('p', 1, {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'serving',
            image: 'x',
            imageID: '',
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date(5000) } },
          },
        ] as never,
      }),
      {
        state: 'CrashLoopBackOff',
        reason: 'CrashLoopBackOff',
        message: 'back-off 40s',
        lastState: { exitCode: 137, signal: null, reason: 'OOMKilled', message: '', finishedAt: 5000 },
      },
    ],
  ])('%s', (_why, p, want) => {
    expect(podInstance(p, 'svc', 1, 8000, false)).toMatchObject(want);
  });
});

describe('sliceEndpoints', () => {
  const slice = (endpoints: V1EndpointSlice['endpoints'], addressType = 'IPv4'): V1EndpointSlice => ({
    addressType,
    endpoints,
    ports: [{ name: 'http', port: 8000 }],
  });
  const ep = (name: string, ip: string, conditions: object) => ({
    addresses: [ip],
    conditions,
    targetRef: { kind: 'Pod', name },
  });

  it('takes ready, not terminating pod endpoints with their revision', () => {
    const got = sliceEndpoints(
      [
        slice([ep('b', '198.18.0.2', { ready: true }), ep('a', '198.18.0.1', {})]),
        slice([ep('c', '198.18.0.3', { ready: false }), ep('d', '198.18.0.4', { ready: true, terminating: true })]),
        slice([ep('e', 'e.example', { ready: true })], 'FQDN'),
      ],
      (name) => (name === 'b' ? 2 : 1),
    );
    expect(got).toEqual([
      { instanceId: 'a', host: '198.18.0.1', port: 8000, revision: 1 },
      { instanceId: 'b', host: '198.18.0.2', port: 8000, revision: 2 },
    ]);
  });

  it('leaves out an endpoint whose pod is not seen yet', () => {
    expect(sliceEndpoints([slice([ep('a', '198.18.0.1', { ready: true })])], () => undefined)).toEqual([]);
  });
});

describe('rolloutState', () => {
  it.each<[string, V1Deployment['status'], Partial<ReturnType<typeof rolloutState>>]>([
    ['not observed yet', { observedGeneration: 1 }, { observed: false, complete: false }],
    ['complete', { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, { complete: true }],
    ['surging', { observedGeneration: 2, replicas: 4, updatedReplicas: 2, availableReplicas: 3 }, { complete: false }],
    [
      'past its deadline',
      {
        observedGeneration: 2,
        replicas: 4,
        updatedReplicas: 1,
        availableReplicas: 3,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] as never,
      },
      { deadlineExceeded: true, complete: false },
    ],
  ])('%s', (_why, status, want) => {
    expect(rolloutState(deployment(2, 2, status))).toMatchObject(want);
  });
});

describe('pauseDecision', () => {
  const exceeded = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' };
  const status = (observedGeneration: number) =>
    ({ observedGeneration, replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: [exceeded] }) as never;
  const paused = (d: V1Deployment) => {
    d.metadata = { ...d.metadata, annotations: { ...d.metadata?.annotations, 'pier.dev/paused-revision': '3' } };
    return d;
  };
  it.each<[string, V1Deployment | undefined, number, ReturnType<typeof pauseDecision>]>([
    ['no Deployment yet', undefined, 3, 'run'],
    ['its rollout is past the deadline: pause', deployment(3, 3, status(2)), 3, 'pause'],
    ['already paused for this revision', paused(deployment(3, 3, status(2))), 3, 'paused'],
    [
      'paused for another revision, and the rollback progressing: run',
      paused(
        deployment(2, 2, {
          observedGeneration: 2,
          conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
        } as never),
      ),
      2,
      'run',
    ],
    ['the Deployment does not run this revision yet: run', deployment(2, 2, status(2)), 3, 'run'],
    ['a stale deadline the controller has not re-read (a rollback): run', deployment(2, 2, status(1)), 2, 'run'],
  ])('%s', (_why, d, current, want) => {
    expect(pauseDecision(d, current)).toBe(want);
  });
});
