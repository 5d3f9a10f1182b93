import { randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import pino, { type Logger } from 'pino';
import { type Clock, createRealClock, type TimerHandle } from '../clock.js';
import { createAckReporter } from './remote-ack.js';
import { EMPTY_SNAPSHOT } from './store.js';
import type { EndpointSnapshot, EndpointSource } from './types.js';

export interface RemoteSourceOptions {
  controlUrl: string;
  adminToken: string;
  clock?: Clock;
  logger?: Logger;
  /** First reconnect delay; doubles up to maxBackoffMs. Defaults 200 / 5000 ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Reconnect when nothing (snapshot or heartbeat) arrives for this long. Default 30 s. */
  silenceMs?: number;
  /** How this gateway names itself to the control plane (`?gateway=`, acks). Default: random. */
  gatewayId?: string;
  /** Requests in flight from this gateway to an instance (the gateway's `inflight`); reported while it drains. */
  inflight?: (instanceId: string) => number;
  /** Re-post period of acks while requests to drained instances run. Default 500 ms. */
  ackIntervalMs?: number;
}

export type RemoteEndpointSource = EndpointSource & { ready: Promise<void>; gatewayId: string; close(): void };

/**
 * Follows the control plane's endpoint stream: `GET /api/v1/endpoints/watch`,
 * NDJSON, one full snapshot per line, `{"heartbeat":true}` lines in between.
 * On any break it keeps serving the last snapshot and reconnects with back-off.
 * It acknowledges every snapshot it applied (remote-ack.ts), so the control
 * plane can wait for this gateway before it signals a drained instance.
 */
export function createRemoteEndpointSource(opts: RemoteSourceOptions): RemoteEndpointSource {
  const clock = opts.clock ?? createRealClock();
  const logger = opts.logger ?? pino({ level: 'silent' });
  const minBackoff = opts.minBackoffMs ?? 200;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const silenceMs = opts.silenceMs ?? 30_000;
  const gatewayId = opts.gatewayId ?? `gateway-${randomBytes(6).toString('hex')}`;
  const url = new URL('/api/v1/endpoints/watch', opts.controlUrl);
  url.searchParams.set('gateway', gatewayId);
  const acks = createAckReporter({
    controlUrl: opts.controlUrl,
    adminToken: opts.adminToken,
    gatewayId,
    clock,
    logger,
    ...(opts.inflight ? { inflight: opts.inflight } : {}),
    ...(opts.ackIntervalMs !== undefined ? { intervalMs: opts.ackIntervalMs } : {}),
  });
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const listeners = new Set<(s: EndpointSnapshot) => void>();
  let snapshot = EMPTY_SNAPSHOT;
  let backoff = minBackoff;
  let closed = false;
  let current: ClientRequest | undefined;
  let retryTimer: TimerHandle | undefined;
  let silenceTimer: TimerHandle | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  /**
   * The last snapshot applied before the stream broke, while the control plane's
   * new snapshots are `incomplete` (it has just started and does not know yet
   * whether its re-adopted instances are ready). Replacing the last good list
   * with such a snapshot answered 503 on services nobody touched (issue 12).
   */
  let held: EndpointSnapshot | undefined;

  const publish = (received: EndpointSnapshot) => {
    if (!received.incomplete) held = undefined;
    const next = held ? keepHeldEndpoints(held, received) : received;
    snapshot = next;
    backoff = minBackoff;
    markReady();
    for (const l of [...listeners]) l(next);
    // Listeners apply snapshots synchronously: from here on nothing new goes to a removed instance.
    // A merged snapshot may still route to an instance the control plane dropped, so it is
    // not acknowledged: a drain then waits for this gateway's next, complete, snapshot.
    if (!held) acks.applied(next);
  };

  const heard = () => {
    clock.clearTimeout(silenceTimer);
    silenceTimer = clock.setTimeout(() => {
      logger.warn({ url: url.href }, 'endpoint stream silent; reconnecting');
      current?.destroy();
    }, silenceMs);
  };

  const reconnect = () => {
    clock.clearTimeout(silenceTimer);
    if (closed || retryTimer) return;
    const delay = backoff;
    backoff = Math.min(maxBackoff, backoff * 2);
    retryTimer = clock.setTimeout(() => {
      retryTimer = undefined;
      connect();
    }, delay);
  };

  const connect = () => {
    if (closed) return;
    const req = request(url, {
      headers: { authorization: `Bearer ${opts.adminToken}`, accept: 'application/x-ndjson' },
    });
    current = req;
    let ended = false;
    const fail = (why: string) => {
      if (ended) return;
      ended = true;
      if (current === req) current = undefined;
      req.destroy();
      held ??= snapshot.version > 0 || Object.keys(snapshot.services).length > 0 ? snapshot : undefined;
      acks.disconnected();
      if (!closed) logger.warn({ url: url.href, why }, 'endpoint stream lost; keeping last snapshot');
      reconnect();
    };
    req.on('error', (err) => fail(err.message));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(`status ${res.statusCode}`);
        return;
      }
      heard();
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (text: string) => {
        heard();
        buffer += text;
        let nl = buffer.indexOf('\n');
        while (nl !== -1) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line !== '') handleLine(line);
          nl = buffer.indexOf('\n');
        }
      });
      res.on('end', () => fail('stream ended'));
      res.on('error', (err) => fail(err.message));
      res.on('close', () => fail('stream closed'));
    });
    req.end();
  };

  const handleLine = (line: string) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      logger.warn('endpoint stream: skipped a line that is not JSON');
      return;
    }
    if (!value || typeof value !== 'object' || (value as { heartbeat?: unknown }).heartbeat === true) return;
    const next = value as EndpointSnapshot;
    if (typeof next.version !== 'number' || !next.services || typeof next.services !== 'object') {
      logger.warn('endpoint stream: skipped a line that is not a snapshot');
      return;
    }
    publish(next);
  };

  connect();
  return {
    ready,
    current: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    gatewayId,
    close() {
      closed = true;
      acks.close();
      clock.clearTimeout(retryTimer);
      clock.clearTimeout(silenceTimer);
      current?.destroy();
    },
  };
}

/**
 * `next`, except that a service it routes nowhere (and does not mark stopped)
 * keeps the endpoints `held` had for it.
 */
export function keepHeldEndpoints(held: EndpointSnapshot, next: EndpointSnapshot): EndpointSnapshot {
  const services = { ...next.services };
  for (const [name, route] of Object.entries(next.services)) {
    const before = held.services[name]?.endpoints ?? [];
    if (route.endpoints.length === 0 && !route.stopped && before.length > 0) {
      services[name] = { ...route, endpoints: before };
    }
  }
  return { ...next, services };
}
