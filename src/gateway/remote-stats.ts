/**
 * The reporting half of a gateway replica for the autoscaler: every
 * `intervalMs` it posts what it counted (`POST /api/v1/gateways/stats`) to the
 * control plane, which sums the replicas (src/controller/gateway-stats.ts), as
 * Knative's activator pushes its stats to the autoscaler. One post at a time; a
 * failed one is logged (once, until one succeeds again) and the next tick tries
 * again: a gateway serves on while no control plane answers.
 */

import type { Logger } from 'pino';
import type { GatewayStatsReport } from '../api/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { GatewayStats } from './types.js';

export interface StatsReporterOptions {
  controlUrl: string;
  adminToken: string;
  gatewayId: string;
  stats: () => GatewayStats;
  clock: Clock;
  logger: Logger;
  /** Default 1000 ms (the autoscaler samples once a second). */
  intervalMs?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface StatsReporter {
  /** One post now; resolves once it finished (never rejects). */
  step(): Promise<void>;
  close(): void;
}

/** The report body: only the counters the autoscaler and `pier group desc` read. */
export function statsReport(gateway: string, stats: GatewayStats): GatewayStatsReport {
  const services: GatewayStatsReport['services'] = {};
  for (const [name, st] of Object.entries(stats.services)) {
    const instances: Record<string, { requests: number; inflight: number }> = {};
    for (const [id, c] of Object.entries(st.instances)) instances[id] = { requests: c.requests, inflight: c.inflight };
    services[name] = { instances, ...(st.pending ? { pending: st.pending } : {}) };
  }
  return { gateway, services, ...(stats.groups ? { groups: stats.groups } : {}) };
}

export function createStatsReporter(opts: StatsReporterOptions): StatsReporter {
  const { clock, logger } = opts;
  const url = new URL('/api/v1/gateways/stats', opts.controlUrl);
  const post = opts.fetch ?? fetch;
  let posting: Promise<void> | undefined;
  let failing = false;
  let closed = false;

  const send = async () => {
    try {
      const res = await post(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(statsReport(opts.gatewayId, opts.stats())),
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`status ${res.status}`);
      if (failing) logger.info({ url: url.href }, 'reporting gateway stats to the control plane again');
      failing = false;
    } catch (err) {
      if (!failing && !closed) {
        logger.warn({ url: url.href, err: String(err) }, 'could not report gateway stats; the autoscaler misses them');
      }
      failing = true;
    }
  };

  const step = (): Promise<void> => {
    if (closed) return Promise.resolve();
    posting ??= send().finally(() => {
      posting = undefined;
    });
    return posting;
  };

  const timer: TimerHandle = clock.setInterval(() => void step(), opts.intervalMs ?? 1000);
  return {
    step,
    close() {
      closed = true;
      clock.clearInterval(timer);
    },
  };
}
