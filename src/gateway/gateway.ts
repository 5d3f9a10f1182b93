import { createServer, type Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { type Clock, createRealClock } from '../clock.js';
import type { GatewayCore, MetricsEndpoint } from './core.js';
import { handleRequest } from './handle.js';
import { createPeakEwma } from './lb/peak-ewma.js';
import { Activator } from './activator.js';
import { attachGrpcFront } from './grpc/front.js';
import { H2Sessions } from './grpc/sessions.js';
import { type DiscoveryMode, privateNetworks } from './discovery.js';
import { GatewayMetrics, type RequestObserver } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import { BodySpool } from './signed-body.js';
import type { EndpointSnapshot, EndpointSource, GatewayLimits, GatewayStats, LbPolicy, QueueFront } from './types.js';
import { Upstreams } from './upstreams.js';
import { handleUpgrade } from './websocket.js';
import type { Board } from './workers/board.js';
import { createWorkerGateway } from './workers/main.js';

export interface GatewayOptions {
  source: EndpointSource;
  clock?: Clock;
  logger?: Logger;
  /** Metrics are registered here; a new Registry when absent. */
  registry?: Registry;
  /** Told of every answered request, e.g. the console's history (src/history). */
  observer?: RequestObserver;
  /** Serve `GET /metrics` on the gateway port (a standalone `pier gateway`). */
  metricsEndpoint?: MetricsEndpoint;
  random?: () => number;
  limits?: GatewayLimits;
  /** Attempts on other instances after a failed connect. Default 2. */
  retries?: number;
  /** How long an instance that refused a connection is skipped. Default 5000 ms. */
  passiveHealthMs?: number;
  /** Upstream connections per instance. Default 256. */
  maxSocketsPerInstance?: number;
  /** Default: power of two choices on peak-EWMA latency × outstanding requests (lb/peak-ewma.ts). */
  policy?: LbPolicy;
  /**
   * A certificate enables TLS on a second port (`listenTls`): ALPN picks HTTP/2
   * (gRPC) or HTTP/1.1 per connection, as the cleartext port does by sniffing.
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Who may use the discovery paths without a token; default 'private' (discovery.ts). */
  discovery?: DiscoveryMode;
  /** A request arrived for a service scaled to zero (routes with `activate`). */
  onDemand?: (service: string) => void;
  /** Bounds of the activator's hold: per-service queue (1000) and longest wait (600 s). */
  activation?: { maxQueue?: number; maxWaitMs?: number };
  /**
   * Rejects an `EAS`-signed request whose Date header is further than this from
   * the gateway's clock (401). Off by default: the Python and Go SDKs send local
   * time labelled GMT (`--eas-max-date-skew`).
   */
  easMaxDateSkewSeconds?: number;
  /**
   * Threads accepting on the gateway's ports (`--gateway-workers`): 1 (default)
   * serves in this thread only; more start worker threads that listen on the same
   * ports with SO_REUSEPORT and share limits, counts and metrics (workers/).
   * Workers use the real clock and the default balancing policy.
   */
  workers?: number;
  /** Serves async services' queues (src/queue); without it their calls answer 503. */
  queues?: QueueFront;
  /** Where large signed bodies are spooled while their Content-MD5 is checked; default the system's temporary directory. */
  tempDir?: string;
}

export interface Gateway {
  /** HTTP/1.1; also the listening socket (HTTP/2 connections are handed to `http2`). */
  server: Server;
  /** HTTP/2 (h2c, prior knowledge): gRPC calls for services with `enable_grpc`. */
  http2: Http2Server;
  /** Resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** TLS with ALPN (h2, http/1.1); only with the `tls` option. Resolves with the bound port. */
  listenTls(port: number, host: string): Promise<number>;
  close(): Promise<void>;
  stats(): GatewayStats;
  /** Requests (HTTP, streams, WebSocket tunnels, gRPC calls) in flight or queued at an instance. */
  inflight(instanceId: string): number;
  /** Resolves true once nothing is in flight to the instance, false after `timeoutMs`. */
  waitForIdle(instanceId: string, timeoutMs: number): Promise<boolean>;
}

const MiB = 1024 * 1024;

export function createGateway(opts: GatewayOptions): Gateway {
  if ((opts.workers ?? 1) > 1) return createWorkerGateway(opts);
  return createLocalGateway(opts);
}

/** One thread's gateway; `board` when it is one of several (its counts are shared). */
export function createLocalGateway(opts: GatewayOptions, board?: Board): Gateway {
  const clock = opts.clock ?? createRealClock();
  const logger = opts.logger ?? pino({ level: 'silent' });
  const limits = opts.limits ?? {};
  const maxBodyBytes = limits.maxBodyBytes ?? 100 * MiB;
  const headersTimeout = limits.headersTimeoutMs ?? 15_000;
  const random = opts.random ?? Math.random;
  const retries = opts.retries ?? 2;
  if (!(retries >= 0) || !(maxBodyBytes > 0)) throw new Error('createGateway: retries >= 0 and maxBodyBytes > 0');
  const skew = opts.easMaxDateSkewSeconds ?? 0;
  if (!(skew >= 0) || !Number.isFinite(skew)) throw new Error('createGateway: easMaxDateSkewSeconds must be >= 0');
  const upstreams = new Upstreams(clock, opts.maxSocketsPerInstance ?? 256, board);
  const outstanding = (id: string) => upstreams.inflight(id);
  const metrics = new GatewayMetrics(opts.registry ?? new Registry(), opts.observer, {
    pending: () => {
      const out: Record<string, number> = {};
      for (const name of Object.keys(core.snapshot.services)) {
        const n = activator.pending(name);
        if (n > 0) out[name] = n;
      }
      return out;
    },
    queued: () => upstreams.queuedByService(),
  });
  const activator = new Activator({
    clock,
    ...(opts.onDemand ? { onDemand: opts.onDemand } : {}),
    ...(opts.activation?.maxQueue !== undefined ? { maxQueue: opts.activation.maxQueue } : {}),
    ...(opts.activation?.maxWaitMs !== undefined ? { maxWaitMs: opts.activation.maxWaitMs } : {}),
    ...(board ? { shared: heldCounter(board) } : {}),
  });
  const core: GatewayCore = {
    snapshot: opts.source.current(),
    clock,
    logger,
    metrics,
    upstreams,
    limiter: new RateLimiter(board),
    proxy: {
      upstreams,
      policy: opts.policy ?? createPeakEwma(),
      random,
      clock,
      retries,
      passiveHealthMs: opts.passiveHealthMs ?? 5000,
      maxBodyBytes,
      replayLimit: Math.min(MiB, maxBodyBytes),
      outstanding,
      metrics,
      activator,
    },
    maxBodyBytes,
    serviceStats: new Map(),
    secrets: new WeakMap(),
    eas: { maxDateSkewMs: skew * 1000, now: () => clock.now() },
    spool: new BodySpool(opts.tempDir),
    discovery: { mode: opts.discovery ?? 'private', networks: privateNetworks() },
    ...(board ? { board } : {}),
    ...(opts.metricsEndpoint ? { metricsEndpoint: opts.metricsEndpoint } : {}),
    ...(opts.queues ? { queues: opts.queues } : {}),
  };
  const h2Sessions = new H2Sessions();
  const apply = (snapshot: EndpointSnapshot) => {
    core.snapshot = snapshot;
    upstreams.sync(snapshot);
    h2Sessions.sync(snapshot);
    core.limiter.retain(new Set(Object.keys(snapshot.services)));
    activator.sync(snapshot);
    metrics.retain(snapshot);
  };
  apply(core.snapshot);
  const unsubscribe = opts.source.subscribe(apply);

  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes ?? 16 * 1024,
      headersTimeout,
      requestTimeout: limits.slowClientTimeoutMs ?? 300_000,
      keepAliveTimeout: limits.idleTimeoutMs ?? 75_000,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))),
      noDelay: true,
    },
    (req, res) => handleRequest(core, req, res),
  );
  const tunnels = new Set<Duplex>();
  server.on('upgrade', (req, socket, head) => handleUpgrade(core, tunnels, req, socket, head));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (socket.writable && !socket.destroyed) {
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    }
    socket.destroy();
  });

  const grpc = attachGrpcFront(
    server,
    { core, sessions: h2Sessions },
    { sniffTimeoutMs: headersTimeout, idleTimeoutMs: limits.idleTimeoutMs ?? 75_000, clock },
  );
  let tlsServer: TlsServer | undefined;

  return {
    server,
    http2: grpc.h2,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host, reusePort: board !== undefined }, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    listenTls(port, host) {
      if (!opts.tls) return Promise.reject(new Error('listenTls needs the tls option (a key and a certificate)'));
      const secure = createTlsServer(
        {
          key: opts.tls.key,
          cert: opts.tls.cert,
          // Server preference: clients that offer both (curl, browsers) get HTTP/1.1,
          // which carries plain HTTP calls; gRPC clients offer only h2 and get it.
          ALPNProtocols: ['http/1.1', 'h2'],
        },
        (s) => grpc.acceptTls(s),
      );
      secure.on('tlsClientError', (_err, s) => s.destroy());
      tlsServer = secure;
      return new Promise((resolve, reject) => {
        secure.once('error', reject);
        secure.listen({ port, host, reusePort: board !== undefined }, () => {
          secure.off('error', reject);
          resolve((secure.address() as AddressInfo).port);
        });
      });
    },
    async close() {
      unsubscribe();
      tlsServer?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const t of tunnels) t.destroy();
        grpc.close();
      });
      activator.close();
      upstreams.close();
      h2Sessions.close();
      core.spool.close();
    },
    stats() {
      const services: GatewayStats['services'] = {};
      for (const [name, st] of core.serviceStats) {
        services[name] = { requests: st.requests, inflight: st.inflight, instances: {} };
      }
      for (const [id, st] of upstreams.instanceStats()) {
        services[st.service] ??= { requests: 0, inflight: 0, instances: {} };
        services[st.service]!.instances[id] = { requests: st.requests, inflight: st.inflight };
      }
      for (const name of Object.keys(core.snapshot.services)) {
        const pending = activator.pending(name);
        if (pending === 0) continue;
        services[name] ??= { requests: 0, inflight: 0, instances: {} };
        services[name]!.pending = pending;
      }
      const groups = metrics.groupCounts();
      return Object.keys(groups).length > 0 ? { services, groups } : { services };
    },
    inflight: outstanding,
    waitForIdle: (id, timeoutMs) => upstreams.waitForIdle(id, timeoutMs),
  };
}

function heldCounter(board: Board) {
  return {
    tryAdd: (service: string, max: number) => {
      const slot = board.serviceSlot(service);
      return slot < 0 || board.tryHold(slot, max);
    },
    remove: (service: string) => {
      const slot = board.serviceSlot(service);
      if (slot >= 0) board.unhold(slot);
    },
    get: (service: string) => {
      const slot = board.serviceSlot(service);
      return slot < 0 ? 0 : board.held(slot);
    },
  };
}
