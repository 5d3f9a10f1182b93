import { type ClientRequest, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../clock.js';
import { BodyPump } from './body.js';
import type { GatewayMetrics } from './metrics.js';
import { connectionListed, filterRawHeaders, isHopByHop, sendError } from './respond.js';
import type { Route } from './route.js';
import type { Endpoint, LbPolicy, ServiceRoute } from './types.js';
import type { InstanceState, Upstreams } from './upstreams.js';

/**
 * Forwards one HTTP request to one ready instance of a service: pick (policy over
 * instances that are not full, preferring ones not marked down), wait for a worker
 * slot, send, stream the answer back. Retries on another instance only when the
 * upstream connection failed before the request could have been processed.
 */

export interface ProxyDeps {
  upstreams: Upstreams;
  policy: LbPolicy;
  random: () => number;
  clock: Clock;
  retries: number;
  passiveHealthMs: number;
  maxBodyBytes: number;
  replayLimit: number;
  outstanding: (id: string) => number;
  metrics: GatewayMetrics;
}

export interface ProxyResult {
  status: number;
  instance: string;
  bytesIn: number;
  bytesOut: number;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT']);
const STALE_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

export class ProxyCall implements ProxyResult {
  status = 0;
  instance = '';
  bytesIn = 0;
  bytesOut = 0;
  private state: InstanceState | undefined;
  private holding: 'none' | 'queued' | 'active' = 'none';
  private upReq: ClientRequest | undefined;
  private upRes: IncomingMessage | undefined;
  private connected = false;
  private tries = 0;
  private excluded: string[] | undefined;
  private timer: TimerHandle | undefined;
  private finished = false;
  private pump: BodyPump | undefined;

  constructor(
    private readonly deps: ProxyDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly svc: ServiceRoute,
    private readonly route: Route,
    private readonly headers: Record<string, string | string[]>,
    private readonly body: Buffer | undefined,
    private readonly onDone: (call: ProxyCall) => void,
  ) {}

  start(): void {
    this.res.once('close', this.onClose);
    const ms = this.svc.rpc.keepalive;
    if (ms > 0) this.timer = this.deps.clock.setTimeout(this.onKeepalive, ms);
    if (this.body === undefined && hasBody(this.req)) {
      this.pump = new BodyPump(this.req, this.deps.replayLimit, this.deps.maxBodyBytes, this.onTooLarge);
    }
    this.dispatch();
  }

  private dispatch(): void {
    const { upstreams } = this.deps;
    const { svc } = this;
    const workers = svc.rpc.worker_threads;
    const maxQueue = svc.rpc.max_queue_size;
    const all = svc.endpoints;
    let open: Endpoint[] = [];
    let healthy: Endpoint[] = [];
    let excludedAll = all.length > 0;
    for (const ep of all) {
      if (this.excluded?.includes(ep.instanceId)) continue;
      excludedAll = false;
      const state = upstreams.state(svc.name, ep);
      if (upstreams.isFull(state, workers, maxQueue)) continue;
      open.push(ep);
      if (!upstreams.isDown(state)) healthy.push(ep);
    }
    if (all.length === 0 || excludedAll) {
      this.fail(503, 'UNAVAILABLE', `no healthy upstream for service "${svc.name}"`);
      return;
    }
    if (open.length === 0) {
      this.fail(450, 'QUEUE_FULL', `every instance of "${svc.name}" is busy and its queue is full`);
      return;
    }
    if (healthy.length > 0) open = healthy;
    healthy = open;
    const ep = this.deps.policy(open, this.deps.outstanding, this.deps.random)!;
    const state = upstreams.state(svc.name, ep);
    this.state = state;
    this.instance = ep.instanceId;
    const got = upstreams.acquire(state, workers, maxQueue, this);
    if (got === 'full') {
      this.fail(450, 'QUEUE_FULL', `every instance of "${svc.name}" is busy`);
      return;
    }
    this.deps.metrics.inflightInc(svc.name, ep.instanceId);
    if (got === 'run') {
      this.holding = 'active';
      this.send();
    } else this.holding = 'queued';
  }

  /** Called by the instance queue when a worker slot frees up. */
  grant(): void {
    this.holding = 'active';
    if (this.finished) this.releaseSlot();
    else this.send();
  }

  private send(): void {
    const ep = this.state!.endpoint;
    const up = request({
      agent: this.state!.agent,
      host: ep.host,
      port: ep.port,
      method: this.req.method,
      path: this.route.query === '' ? this.route.subPath : this.route.subPath + '?' + this.route.query,
      headers: this.headers,
    });
    this.upReq = up;
    this.connected = false;
    up.on('response', this.onResponse);
    up.on('error', (err) => this.onUpstreamError(up, err as NodeJS.ErrnoException));
    if (this.body !== undefined) up.end(this.body);
    else if (!this.pump) up.end();
    else {
      // Send no body byte before the connection exists: a refused connect then
      // leaves the body untouched and the request can go to another instance.
      up.once('socket', (socket) => {
        if (socket.connecting) socket.once('connect', () => this.onConnect(up));
        else this.onConnect(up);
      });
    }
  }

  private onConnect(up: ClientRequest): void {
    if (this.upReq !== up) return;
    this.connected = true;
    this.pump?.attach(up);
  }

  private onResponse = (upRes: IncomingMessage): void => {
    if (this.finished) {
      upRes.destroy();
      return;
    }
    this.deps.clock.clearTimeout(this.timer);
    this.upRes = upRes;
    this.status = upRes.statusCode ?? 502;
    const out = filterRawHeaders(upRes.rawHeaders, ['x-pier-instance', this.instance]);
    this.res.writeHead(this.status, out as unknown as Record<string, string>);
    // Streams (no Content-Length) get their headers at once; small answers go out with their body.
    if (upRes.headers['content-length'] === undefined) this.res.flushHeaders();
    const length = upRes.headers['content-length'];
    if (length === undefined) upRes.on('data', this.countOut);
    else this.bytesOut = Number(length) || 0;
    upRes.on('error', noop);
    upRes.once('close', () => {
      if (!upRes.complete) this.res.destroy();
    });
    upRes.pipe(this.res);
  };

  private countOut = (chunk: Buffer): void => {
    this.bytesOut += chunk.length;
  };

  private onUpstreamError(up: ClientRequest, err: NodeJS.ErrnoException): void {
    if (this.finished || up !== this.upReq) return;
    if (this.upRes) {
      this.res.destroy();
      return;
    }
    const code = err.code ?? '';
    // Bodyless requests skip connect tracking (one listener less per request): only
    // a connect error code then proves the instance never saw the request.
    const refused = CONNECT_ERRORS.has(code) || (this.pump !== undefined && !this.connected && STALE_ERRORS.has(code));
    const stale = up.reusedSocket && STALE_ERRORS.has(code);
    if (refused) this.deps.upstreams.markDown(this.state!, this.deps.passiveHealthMs);
    const replayable = this.body !== undefined || !this.pump || this.pump.replayable();
    if ((refused || stale) && replayable && this.tries < this.deps.retries) {
      this.tries++;
      this.excluded ??= [];
      this.excluded.push(this.instance);
      this.pump?.detach();
      this.upReq = undefined;
      this.releaseSlot();
      this.dispatch();
      return;
    }
    if (refused) this.fail(503, 'UNAVAILABLE', `no healthy upstream: instance ${this.instance} refused the connection`);
    else this.fail(504, 'UPSTREAM_FAILED', `instance ${this.instance} closed the connection without an answer`);
  }

  private onKeepalive = (): void => {
    this.timer = undefined;
    if (this.finished || this.upRes) return;
    this.fail(408, 'TIMEOUT', `no answer within rpc.keepalive (${this.svc.rpc.keepalive} ms)`);
  };

  private onTooLarge = (): void => {
    if (this.upRes) this.res.destroy();
    else this.fail(413, 'BODY_TOO_LARGE', `request body is larger than ${this.deps.maxBodyBytes} bytes`);
  };

  /** Answers with a gateway error and abandons the upstream call. */
  private fail(status: number, code: string, message: string): void {
    this.status = status;
    this.abortUpstream();
    this.releaseSlot();
    sendError(this.req, this.res, status, code, message);
  }

  private abortUpstream(): void {
    this.deps.clock.clearTimeout(this.timer);
    this.upReq?.destroy();
    this.upRes?.destroy();
    this.upReq = undefined;
  }

  private releaseSlot(): void {
    const state = this.state;
    if (!state) return;
    if (this.holding === 'none') return;
    if (this.holding === 'active') this.deps.upstreams.release(state);
    else this.deps.upstreams.cancel(state, this);
    this.holding = 'none';
    this.deps.metrics.inflightDec(this.svc.name, state.id);
  }

  private onClose = (): void => {
    this.finished = true;
    if (!this.res.writableFinished) {
      if (!this.upRes && this.status === 0) this.status = 499;
      this.abortUpstream();
    }
    this.deps.clock.clearTimeout(this.timer);
    this.releaseSlot();
    this.bytesIn = this.body?.length ?? this.pump?.bytes ?? 0;
    this.onDone(this);
  };
}

function noop(): void {}

export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Request headers for the instance: hop-by-hop removed, X-Forwarded-* added. */
export function upstreamHeaders(req: IncomingMessage, bodyLength?: number): Record<string, string | string[]> {
  const src = req.headers;
  const listed = connectionListed(src.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in src) {
    if (isHopByHop(name, listed) || name.startsWith('proxy-')) continue;
    const v = src[name];
    if (v !== undefined) out[name] = v;
  }
  const remote = req.socket.remoteAddress ?? '';
  const prior = src['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${remote}` : remote;
  out['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
  if (src.host !== undefined) out['x-forwarded-host'] = src.host;
  if (bodyLength !== undefined) {
    out['content-length'] = String(bodyLength);
  }
  return out;
}
