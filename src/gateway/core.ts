import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BlockList } from 'node:net';
import type { Clock } from '../clock.js';
import { type SignaturePolicy, type TokenSecret, tokenSecret } from './auth.js';
import type { DiscoveryMode } from './discovery.js';
import type { GatewayMetrics } from './metrics.js';
import type { ProxyDeps } from './proxy.js';
import type { RateLimiter } from './rate-limit.js';
import type { BodySpool } from './signed-body.js';
import type { EndpointSnapshot, QueueFront } from './types.js';
import type { Upstreams } from './upstreams.js';
import type { Board } from './workers/board.js';

export interface MetricsEndpoint {
  registry: Registry;
  /** Whether the request may read the metrics (the admin token). */
  authorized(req: IncomingMessage): boolean;
}

/** What every part of one gateway shares (built once by createGateway). */
export interface GatewayCore {
  snapshot: EndpointSnapshot;
  clock: Clock;
  logger: Logger;
  metrics: GatewayMetrics;
  upstreams: Upstreams;
  limiter: RateLimiter;
  proxy: ProxyDeps;
  maxBodyBytes: number;
  serviceStats: Map<string, { requests: number; inflight: number }>;
  /** Per token holder (a service or a group route object of the current snapshot). */
  secrets: WeakMap<{ token: string }, TokenSecret>;
  /** Checks on `EAS` signatures beyond the HMAC (the opt-in Date skew). */
  eas: SignaturePolicy;
  /** Where signed bodies over the replay buffer wait for their Content-MD5 check. */
  spool: BodySpool;
  /** `GET /metrics` on this port (a standalone `pier gateway`); absent: no such route. */
  metricsEndpoint?: MetricsEndpoint;
  /** Who may list a service's instances without its token. */
  discovery: { mode: DiscoveryMode; networks: BlockList };
  /** Shared with the other gateway threads (`--gateway-workers` > 1). */
  board?: Board;
  /** The queue service for async services (in-process `pier server` only). */
  queues?: QueueFront;
}

/** A service's request counts in this thread; with a board, every change is also added to this thread's row. */
class SharedCount {
  private r = 0;
  private i = 0;

  constructor(
    private readonly board: Board,
    private readonly service: string,
  ) {}

  get requests(): number {
    return this.r;
  }

  set requests(v: number) {
    const slot = this.board.serviceSlot(this.service);
    if (slot >= 0) this.board.addService(slot, v - this.r, 0);
    this.r = v;
  }

  get inflight(): number {
    return this.i;
  }

  set inflight(v: number) {
    const slot = this.board.serviceSlot(this.service);
    if (slot >= 0) this.board.addService(slot, 0, v - this.i);
    this.i = v;
  }
}

export function secretOf(core: GatewayCore, svc: { token: string }): TokenSecret {
  let s = core.secrets.get(svc);
  if (!s) {
    s = tokenSecret(svc.token);
    core.secrets.set(svc, s);
  }
  return s;
}

export function countRequest(core: GatewayCore, service: string): { requests: number; inflight: number } {
  let st = core.serviceStats.get(service);
  if (!st) {
    st = core.board ? new SharedCount(core.board, service) : { requests: 0, inflight: 0 };
    core.serviceStats.set(service, st);
  }
  st.requests++;
  st.inflight++;
  return st;
}

export interface AccessEntry {
  method: string;
  service: string;
  instance: string;
  status: number;
  startedNs: bigint;
  bytesIn: number;
  bytesOut: number;
  /** Set when the request came through this group's endpoint. */
  group?: string;
}

/** Metrics and the one access-log line per request; never credentials. */
export function recordDone(core: GatewayCore, e: AccessEntry): void {
  const seconds = Number(process.hrtime.bigint() - e.startedNs) / 1e9;
  if (e.service !== '') core.metrics.done(e.service, e.instance, e.status, seconds, e.bytesIn, e.bytesOut, e.method);
  if (e.group !== undefined) core.metrics.groupDone(e.group, e.service, e.status);
  if (core.logger.isLevelEnabled('info')) {
    core.logger.info(
      {
        method: e.method,
        service: e.service,
        ...(e.group !== undefined ? { group: e.group } : {}),
        instance: e.instance,
        status: e.status,
        ms: Math.round(seconds * 1e6) / 1e3,
        bytesIn: e.bytesIn,
        bytesOut: e.bytesOut,
      },
      'request',
    );
  }
}
