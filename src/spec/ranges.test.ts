/** Issue 12 item 10: every number has an upper bound too, and the message gives the allowed range. */

import { describe, expect, it } from 'vitest';
import { expectErrors, expectOk, messageAt, spec } from '../../test/support/spec.js';

const probe = (fields: Record<string, unknown>) =>
  spec({ containers: [{ command: 'x', port: 8000, readiness_check: { tcp_socket: { port: 8000 }, ...fields } }] });
const auto = (fields: Record<string, unknown>) =>
  spec({ autoscaler: { min: 1, max: 10, scaleStrategies: [{ metricName: 'qps', threshold: 10 }], ...fields } });

// [path, spec with the value, allowed range as the message writes it, largest allowed spec]
const CASES: [string, unknown, string, unknown][] = [
  [
    'metadata.instance',
    spec({ metadata: { instance: 100000 } }),
    'from 0 to 1000',
    spec({ metadata: { instance: 1000 } }),
  ],
  ['metadata.cpu', spec({ metadata: { cpu: 1e9 } }), 'from 0 to 1024', spec({ metadata: { cpu: 1024 } })],
  [
    'metadata.memory',
    spec({ metadata: { memory: 1e12 } }),
    'from 0 to 16777216',
    spec({ metadata: { memory: 16777216 } }),
  ],
  ['metadata.gpu', spec({ metadata: { gpu: 1000 } }), 'from 0 to 64', spec({ metadata: { gpu: 64 } })],
  [
    'metadata.rpc.keepalive',
    spec({ metadata: { rpc: { keepalive: 1e20 } } }),
    'from 1 to 86400000',
    spec({ metadata: { rpc: { keepalive: 86400000 } } }),
  ],
  ['metadata.rpc.keepalive', spec({ metadata: { 'rpc.keepalive': '1e20' } }), 'from 1 to 86400000', undefined],
  [
    'metadata.rpc.worker_threads',
    spec({ metadata: { rpc: { worker_threads: 1e6 } } }),
    'from 1 to 1024',
    spec({ metadata: { rpc: { worker_threads: 1024 } } }),
  ],
  [
    'metadata.rpc.max_queue_size',
    spec({ metadata: { rpc: { max_queue_size: 1e9 } } }),
    'from 0 to 100000',
    spec({ metadata: { rpc: { max_queue_size: 100000 } } }),
  ],
  [
    'metadata.rpc.rate_limit',
    spec({ metadata: { rpc: { rate_limit: 1e12 } } }),
    '> 0 and ≤ 1000000',
    spec({ metadata: { rpc: { rate_limit: 1000000 } } }),
  ],
  [
    'metadata.eas.termination_grace_period',
    spec({ metadata: { eas: { termination_grace_period: 1e9 } } }),
    'from 0 to 3600',
    spec({ metadata: { eas: { termination_grace_period: 3600 } } }),
  ],
  [
    'metadata.rolling_strategy.max_surge',
    spec({ metadata: { rolling_strategy: { max_surge: 1e6 } } }),
    'from 0 to 1000',
    spec({ metadata: { rolling_strategy: { max_surge: 1000 } } }),
  ],
  [
    'metadata.rolling_strategy.max_surge',
    spec({ metadata: { rolling_strategy: { max_surge: `${'9'.repeat(400)}%` } } }),
    '"1000%"',
    spec({ metadata: { rolling_strategy: { max_surge: '1000%' } } }),
  ],
  [
    'metadata.rolling_strategy.max_unavailable',
    spec({ metadata: { rolling_strategy: { max_unavailable: 5000 } } }),
    'from 0 to 1000',
    undefined,
  ],
  [
    'metadata.rolling_strategy.min_ready_seconds',
    spec({ metadata: { rolling_strategy: { min_ready_seconds: 1e7 } } }),
    'from 0 to 3600',
    undefined,
  ],
  [
    'metadata.rolling_strategy.progress_deadline_seconds',
    spec({ metadata: { rolling_strategy: { progress_deadline_seconds: 1e7 } } }),
    'from 1 to 86400',
    spec({ metadata: { rolling_strategy: { progress_deadline_seconds: 86400 } } }),
  ],
  [
    'containers[0].readiness_check.initial_delay_seconds',
    probe({ initial_delay_seconds: 1e7 }),
    'from 0 to 3600',
    probe({ initial_delay_seconds: 3600 }),
  ],
  [
    'containers[0].readiness_check.period_seconds',
    probe({ period_seconds: 1e7 }),
    'from 1 to 3600',
    probe({ period_seconds: 3600 }),
  ],
  [
    'containers[0].readiness_check.timeout_seconds',
    probe({ timeout_seconds: 1e7 }),
    'from 1 to 3600',
    probe({ timeout_seconds: 3600 }),
  ],
  [
    'containers[0].readiness_check.success_threshold',
    probe({ success_threshold: 1e7 }),
    'from 1 to 1000',
    probe({ success_threshold: 1000 }),
  ],
  [
    'containers[0].readiness_check.failure_threshold',
    probe({ failure_threshold: 1e7 }),
    'from 1 to 1000',
    probe({ failure_threshold: 1000 }),
  ],
  ['autoscaler.min', auto({ min: 1e6 }), 'from 0 to 1000', undefined],
  ['autoscaler.max', auto({ max: 1e6 }), 'from 1 to 1000', auto({ max: 1000 })],
  [
    'autoscaler.scaleStrategies[0].threshold',
    auto({ scaleStrategies: [{ metricName: 'qps', threshold: 1e12 }] }),
    '> 0 and ≤ 1000000',
    undefined,
  ],
  [
    'autoscaler.behavior.onZero.scaleDownGracePeriodSeconds',
    auto({ behavior: { onZero: { scaleDownGracePeriodSeconds: 1e9 } } }),
    'from 0 to 86400',
    undefined,
  ],
  [
    'autoscaler.behavior.onZero.scaleUpActivationReplicas',
    auto({ behavior: { onZero: { scaleUpActivationReplicas: 1e6 } } }),
    'from 1 to 1000',
    undefined,
  ],
  [
    'cronscaler.scaleJobs[0].targetSize',
    spec({ cronscaler: { scaleJobs: [{ name: 'a', schedule: '0 8 * * *', targetSize: 1e6 }] } }),
    'from 0 to 1000',
    undefined,
  ],
  ['containers[0].port', spec({ containers: [{ command: 'x', port: 65536 }] }), 'from 1 to 65535', undefined],
];

describe('numeric ranges', () => {
  it.each(CASES)('%s out of range names the range', (path, input, range, largest) => {
    const r = expectErrors(input, [path]);
    const message = messageAt(r, path);
    expect(message).toContain(range);
    expect(message).toMatch(/out of range|more than|not a number/);
    if (largest !== undefined) expectOk(largest);
  });

  it('the short strategies form is bounded too', () => {
    const r = expectErrors(auto({ scaleStrategies: null, strategies: { qps: 1e12 } }), ['autoscaler.strategies.qps']);
    expect(messageAt(r, 'autoscaler.strategies.qps')).toContain('≤ 1000000');
  });

  it('size_limit must be finite', () => {
    expectErrors(spec({ storage: [{ mount_path: '/m', empty_dir: { size_limit: Number.POSITIVE_INFINITY } }] }), [
      'storage[0].empty_dir.size_limit',
    ]);
  });
});
