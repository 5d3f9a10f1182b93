import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../spec/index.js';
import { validateSpec } from '../spec/index.js';
import { runsSame } from './equivalence.js';

const base = validateSpec({
  name: 'svc',
  metadata: { instance: 2, rpc: { keepalive: 5000 } },
  containers: [{ command: 'python3 app.py', port: 8000 }],
}).spec as ServiceSpec;

const change = (patch: (s: ServiceSpec) => void): ServiceSpec => {
  const copy = structuredClone(base);
  patch(copy);
  return copy;
};

describe('runsSame', () => {
  it.each([
    [
      'the instance count',
      (s: ServiceSpec) => {
        s.metadata.instance = 5;
      },
    ],
    [
      'an autoscaler',
      (s: ServiceSpec) => {
        s.autoscaler = { min: 1, max: 3, scaleStrategies: [], behavior: {} } as never;
      },
    ],
    [
      'gateway limits',
      (s: ServiceSpec) => {
        s.metadata.rpc.keepalive = 10_000;
      },
    ],
    [
      'the rollout strategy',
      (s: ServiceSpec) => {
        s.metadata.rolling_strategy.max_surge = 3;
      },
    ],
    [
      'the grace period',
      (s: ServiceSpec) => {
        s.metadata.eas.termination_grace_period = 60;
      },
    ],
  ])('a change to %s keeps the instances', (_what, patch) => {
    expect(runsSame(base, change(patch))).toBe(true);
  });

  it.each([
    [
      'the command',
      (s: ServiceSpec) => {
        s.containers[0].command = 'python3 other.py';
      },
    ],
    [
      'the env',
      (s: ServiceSpec) => {
        s.containers[0].env = [{ name: 'A', value: '1' }];
      },
    ],
    [
      'memory',
      (s: ServiceSpec) => {
        s.metadata.memory = 512;
      },
    ],
    [
      'storage',
      (s: ServiceSpec) => {
        s.storage = [{ mount_path: '/m', empty_dir: {} }];
      },
    ],
  ])('a change to %s replaces the instances', (_what, patch) => {
    expect(runsSame(base, change(patch))).toBe(false);
  });
});
