import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from './metrics.js';
import type { EndpointSnapshot } from './types.js';

function snapshot(version: number, ids: string[]): EndpointSnapshot {
  return {
    version,
    services: {
      svc: {
        name: 'svc',
        token: 't',
        endpoints: ids.map((instanceId) => ({ instanceId, host: '127.0.0.1', port: 1, revision: version })),
        stopped: false,
        rpc: { keepalive: 5000, worker_threads: 5, max_queue_size: 64 },
        enableGrpc: false,
        enableWebservice: false,
        activate: false,
      },
    },
  };
}

/** Series lines (not comments) in the exposition text. */
async function seriesCount(registry: Registry): Promise<number> {
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
}

async function serve(metrics: GatewayMetrics, ids: string[]): Promise<void> {
  for (const id of ids) {
    metrics.inflightInc('svc', id);
    metrics.done('svc', id, 200, 0.01, 10, 20, 'POST');
    metrics.done('svc', id, 500, 0.2, 10, 20, 'POST');
    metrics.inflightDec('svc', id);
  }
}

describe('GatewayMetrics (issue 15)', () => {
  it('a rollout does not grow the number of series', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    metrics.retain(snapshot(1, ['svc-a', 'svc-b']));
    await serve(metrics, ['svc-a', 'svc-b']);
    const before = await seriesCount(registry);
    for (let rollout = 2; rollout <= 6; rollout++) {
      const ids = [`svc-${rollout}-a`, `svc-${rollout}-b`];
      metrics.retain(snapshot(rollout, ids));
      await serve(metrics, ids);
      expect(await seriesCount(registry)).toBe(before);
    }
    const text = await registry.metrics();
    expect(text).not.toContain('instance="svc-a"');
    expect(text).toContain('pier_gateway_requests_total{service="svc",instance="svc-6-a",code="200"} 1');
  });

  it('keeps an instance that left the snapshot while requests to it are still in flight', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    metrics.retain(snapshot(1, ['old']));
    metrics.inflightInc('svc', 'old');
    metrics.retain(snapshot(2, ['new']));
    expect(await registry.metrics()).toContain('pier_gateway_inflight_requests{service="svc",instance="old"} 1');
    metrics.done('svc', 'old', 200, 0.01, 0, 0);
    metrics.inflightDec('svc', 'old');
    expect(await registry.metrics()).not.toContain('instance="old"');
  });

  it('labels latency by method and status class, and bounds the method label', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    metrics.done('svc', 'a', 204, 0.01, 0, 0, 'GET');
    metrics.done('svc', 'a', 503, 0.01, 0, 0, 'BREW');
    const text = await registry.metrics();
    expect(text).toContain('pier_gateway_request_duration_seconds_count{service="svc",method="GET",class="2xx"} 1');
    expect(text).toContain('pier_gateway_request_duration_seconds_count{service="svc",method="other",class="5xx"} 1');
  });

  it('counts retries, upstream errors, rejections, activator holds and queue waits', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry, undefined, {
      pending: () => ({ svc: 2 }),
      queued: () => ({ svc: 3 }),
    });
    metrics.queueWait('svc', 0.02);
    for (const o of ['retry', 'connect_error', 'reset', 'timeout', 'rate_limited', 'queue_full', 'hold'] as const) {
      metrics.count('svc', o);
    }
    const text = await registry.metrics();
    expect(text).toContain('pier_gateway_retries_total{service="svc"} 1');
    expect(text).toContain('pier_gateway_upstream_errors_total{service="svc",kind="connect"} 1');
    expect(text).toContain('pier_gateway_upstream_errors_total{service="svc",kind="reset"} 1');
    expect(text).toContain('pier_gateway_upstream_errors_total{service="svc",kind="timeout"} 1');
    expect(text).toContain('pier_gateway_rejected_total{service="svc",reason="rate_limited"} 1');
    expect(text).toContain('pier_gateway_rejected_total{service="svc",reason="queue_full"} 1');
    expect(text).toContain('pier_gateway_activator_holds_total{service="svc"} 1');
    expect(text).toContain('pier_gateway_activator_pending_requests{service="svc"} 2');
    expect(text).toContain('pier_gateway_queued_requests{service="svc"} 3');
    expect(text).toContain('pier_gateway_queue_wait_seconds_count{service="svc"} 1');
  });
});
