/** The Kubernetes platform runs one Deployment per service: a traffic split between revisions is refused, typed. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sampleSpec } from '../../../test/support/store.js';
import { ManualClock } from '../../clock.js';
import { isPierError } from '../../errors.js';
import { makeInstancePlan } from '../plan/index.js';
import type { DesiredState } from '../types.js';
import type { KubeClient } from './client.js';
import { KubernetesPlatform } from './platform.js';

describe('KubernetesPlatform and traffic splits', () => {
  it('refuses a desired state with tracks with TRAFFIC_UNSUPPORTED, before touching the cluster', () => {
    const client = new Proxy({} as KubeClient, {
      get: () => {
        throw new Error('the cluster was called');
      },
    });
    const platform = new KubernetesPlatform({
      client,
      clock: new ManualClock(),
      logger: pino({ level: 'silent' }),
      defaultImage: 'python:3.12-slim',
      event: () => undefined,
      changed: () => undefined,
    });
    const spec = sampleSpec('svc');
    const plan = (revision: number) => ({ revision, spec, plan: makeInstancePlan(spec, revision) });
    const desired: DesiredState = {
      service: 'svc',
      current: plan(1),
      replicas: 3,
      strategy: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0 },
      equivalent: [],
      tracks: [
        { revision: plan(1), replicas: 2 },
        { revision: plan(2), replicas: 1 },
      ],
    };
    let err: unknown;
    try {
      platform.apply(desired);
    } catch (e) {
      err = e;
    }
    expect(isPierError(err) && err.code).toBe('TRAFFIC_UNSUPPORTED');
    expect((err as Error).message).toContain('traffic splitting between revisions needs the local platform for now');
  });
});
