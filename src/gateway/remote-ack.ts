/**
 * The acknowledging half of a remote gateway: after each snapshot it applied it
 * tells the control plane `POST /api/v1/endpoints/ack {gateway, version,
 * inflight}`, where `inflight` counts the requests still running to instances
 * that left its snapshot. While any count is above 0 it says so again every
 * `intervalMs`, so the control plane signals an instance only once nothing
 * runs on it here. A failed post is logged and retried on the next tick; it
 * never throws.
 */

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.js';
import type { EndpointSnapshot } from './types.js';

export interface AckReporterOptions {
  controlUrl: string;
  adminToken: string;
  gatewayId: string;
  /** Requests in flight from this gateway to an instance; without it every count is 0. */
  inflight?: (instanceId: string) => number;
  clock: Clock;
  logger: Logger;
  /** Re-post period while something is in flight or a post failed. Default 500 ms. */
  intervalMs?: number;
  /** Stop reporting an instance this long after it left the snapshot. Default 1 h. */
  maxDrainReportMs?: number;
}

export interface AckReporter {
  /** The gateway applied `snapshot`: acknowledge it. */
  applied(snapshot: EndpointSnapshot): void;
  /** The watch broke: the control plane forgot this gateway, stop posting until the next snapshot. */
  disconnected(): void;
  close(): void;
}

/** The instance ids a snapshot routes to. */
export function snapshotInstances(snapshot: EndpointSnapshot): Set<string> {
  const ids = new Set<string>();
  for (const route of Object.values(snapshot.services)) for (const ep of route.endpoints) ids.add(ep.instanceId);
  return ids;
}

export function createAckReporter(opts: AckReporterOptions): AckReporter {
  const { clock, logger } = opts;
  const intervalMs = opts.intervalMs ?? 500;
  const maxDrainReportMs = opts.maxDrainReportMs ?? 3_600_000;
  const url = new URL('/api/v1/endpoints/ack', opts.controlUrl);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  let routed = new Set<string>();
  /** Instances that left the snapshot and may still have requests here → when they left. */
  const draining = new Map<string, number>();
  let version: number | undefined;
  let unsent = false;
  let connected = false;
  let closed = false;
  let posting = false;
  let tick: TimerHandle | undefined;
  let failures = 0;

  const counts = (): Record<string, number> => {
    const now = clock.now();
    const out: Record<string, number> = {};
    for (const [id, since] of draining) {
      if (now - since > maxDrainReportMs) {
        logger.warn({ instance: id }, 'gave up reporting in-flight requests to a drained instance');
        draining.delete(id);
        continue;
      }
      out[id] = opts.inflight?.(id) ?? 0;
    }
    return out;
  };

  const schedule = () => {
    if (tick || closed || !connected) return;
    tick = clock.setTimeout(() => {
      tick = undefined;
      flush();
    }, intervalMs);
  };

  const flush = () => {
    if (closed || !connected || posting || version === undefined) return;
    clock.clearTimeout(tick);
    tick = undefined;
    const sent = { gateway: opts.gatewayId, version, inflight: counts() };
    unsent = false;
    posting = true;
    void post(sent).then((outcome) => {
      posting = false;
      if (outcome === 'ok') {
        failures = 0;
        // Reported as 0 once: the control plane treats an absent instance as 0 from now on.
        for (const [id, n] of Object.entries(sent.inflight)) if (n === 0) draining.delete(id);
      } else if (outcome === 'unsupported') {
        // A control plane without acks does not wait for them either.
        draining.clear();
      } else {
        unsent = true;
      }
      if (unsent && outcome === 'ok') flush();
      else if (unsent || draining.size > 0) schedule();
    });
  };

  const post = (body: unknown): Promise<'ok' | 'unsupported' | 'failed'> =>
    new Promise((resolve) => {
      const text = JSON.stringify(body);
      const req = request(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${opts.adminToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        },
        timeout: 5000,
      });
      const failed = (why: string) => {
        failures++;
        // The first failure of a streak is worth a warning; the retries every tick are not.
        if (failures === 1) logger.warn({ url: url.href, why }, 'endpoint ack failed; retrying');
        else logger.debug({ url: url.href, why, failures }, 'endpoint ack failed; retrying');
        resolve('failed');
      };
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => failed(err.message));
      req.on('response', (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve('ok');
        else if (status === 404) {
          logger.info({ url: url.href }, 'the control plane takes no endpoint acks; not waiting on them');
          resolve('unsupported');
        } else failed(`status ${status}`);
      });
      req.end(text);
    });

  return {
    applied(snapshot) {
      const now = clock.now();
      const next = snapshotInstances(snapshot);
      for (const id of routed) if (!next.has(id) && !draining.has(id)) draining.set(id, now);
      for (const id of next) draining.delete(id);
      routed = next;
      version = snapshot.version;
      connected = true;
      unsent = true;
      flush();
    },
    disconnected() {
      connected = false;
      clock.clearTimeout(tick);
      tick = undefined;
    },
    close() {
      closed = true;
      clock.clearTimeout(tick);
      tick = undefined;
    },
  };
}
