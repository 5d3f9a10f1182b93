import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { BodyPump, UpstreamBody } from './body.js';
import { SpooledBody } from './signed-body.js';
import { type Deadline, Deadlines, type Expirable } from './deadlines.js';
import type { Activator } from './activator.js';
import type { GatewayMetrics } from './metrics.js';
import { connectionListed, copyResponseHeaders, isHopByHop, mayDropOrRewrite, sendError } from './respond.js';
import { pickEndpointByKey } from './groups/pick.js';
import type { Route } from './route.js';
import type { Endpoint, LbPolicy, ServiceRoute } from './types.js';
import { revisionCandidates } from './revisions.js';
import type { ConnectionAware, InstanceClient, InstanceState, Upstreams } from './upstreams.js';

/**
 * Forwards one HTTP request to one ready instance of a service: pick (policy over
 * instances that are not full, preferring ones not marked down), wait for a worker
 * slot, send through the instance's undici pool, stream the answer back. Retries
 * on another instance only when the request never reached one: the attempt failed
 * before undici wrote it (connect refused, pool closed), or its reused keep-alive
 * socket failed before any answer.
 *
 * The call is its own undici dispatch handler (the raw `onConnect/onHeaders/onData/
 * onComplete/onError` form: no wrapper, headers as raw buffers). Each attempt ends
 * with exactly one `onComplete` or `onError` before the next one starts; `live`
 * says whether the current attempt's callbacks still count.
 *
 * Over the usual 300 lines: pick, queue, send, stream back, time out, fail over
 * and the activator's hold are one call's state, kept in one class on the hot
 * path on purpose (no per-request closures; see bench/gateway/README.md).
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
  /** rpc.keepalive deadlines; created on first use when absent. */
  deadlines?: Deadlines;
  /** Holds requests for services scaled to zero. */
  activator?: Activator;
}

/** Where a finished call reports (the access log and stats of its request). */
export interface CallDone {
  done(call: ProxyCall): void;
}

export interface ProxyResult {
  status: number;
  instance: string;
  bytesIn: number;
  bytesOut: number;
}

/** Failures that prove the instance is not there (mark it down for a while). */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** Methods that RFC 9110 calls idempotent: safe to send again after an instance died mid-request. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Failures of a written request that, on a reused keep-alive socket, mean "closed while idle". */
const STALE_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export class ProxyCall implements ProxyResult, ConnectionAware, Dispatcher.DispatchHandler, Expirable {
  status = 0;
  instance = '';
  bytesIn = 0;
  bytesOut = 0;
  /** Set by the undici client that takes the current attempt. */
  connection: InstanceClient | undefined = undefined;
  /** A group's affinity value: the instance is picked by consistent hashing on it, not by the policy. */
  affinity: string | undefined = undefined;
  private state: InstanceState | undefined;
  private holding: 'none' | 'queued' | 'active' = 'none';
  /** When the call joined an instance's queue (performance.now), for the queue-wait histogram. */
  private queuedAt = 0;
  /** The current attempt's callbacks still count. */
  private live = false;
  /** undici wrote (or began writing) the current attempt. */
  private written = false;
  private reused = false;
  private abortUp: ((err?: Error) => void) | undefined;
  private resumeUp: (() => void) | undefined;
  private answered = false;
  private expected = -1;
  private held: Buffer | undefined;
  private tries = 0;
  private excluded: string[] | undefined;
  private deadline: Deadline | undefined;
  private finished = false;
  private pump: BodyPump | undefined;
  private sink: UpstreamBody | undefined;
  /** Cancels the activator's hold while the service scales from zero. */
  private unhold: (() => void) | undefined;
  /** When the current attempt was handed to undici (performance.now; 0: not sampled), for the policy's latency samples. */
  private sentAt = 0;
  /** Requests at the instance when this attempt was sent, this one included. */
  private runningAtSend = 1;

  constructor(
    private readonly deps: ProxyDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private svc: ServiceRoute,
    private readonly route: Route,
    private readonly headers: string[],
    /** Read and verified before the call (signed bodies); in memory or spooled to disk. */
    private readonly body: Buffer | SpooledBody | undefined,
    private readonly report: CallDone,
  ) {}

  start(): void {
    // A listener shared by every call (no closure, no once() wrapper per request); 'close' comes once.
    (this.res as CallResponse)[CALL] = this;
    this.res.on('close', onCallClose);
    const ms = this.svc.rpc.keepalive;
    if (ms > 0) {
      this.deps.deadlines ??= new Deadlines(this.deps.clock);
      this.deadline = this.deps.deadlines.add(ms, this);
    }
    if (this.body === undefined && hasBody(this.req)) {
      this.pump = new BodyPump(this.req, this.deps.replayLimit, this.deps.maxBodyBytes, () => this.tooLarge());
    }
    this.dispatch();
  }

  private dispatch(): void {
    const { upstreams } = this.deps;
    const { svc } = this;
    const workers = svc.rpc.worker_threads;
    const maxQueue = svc.rpc.max_queue_size;
    const all = svc.endpoints;
    if (all.length === 0 && this.excluded === undefined && svc.activate && this.deps.activator) {
      this.holdForActivation(this.deps.activator);
      return;
    }
    let ep: Endpoint;
    let state: InstanceState | undefined;
    if (all.length === 1 && this.excluded === undefined) {
      // One instance (the common case): nothing to choose, no candidate lists.
      ep = all[0]!;
      state = upstreams.state(svc.name, ep);
      if (upstreams.isFull(state, workers, maxQueue)) {
        this.fail(450, 'QUEUE_FULL', `every instance of "${svc.name}" is busy and its queue is full`);
        return;
      }
    } else {
      let open: Endpoint[] = [];
      const healthy: Endpoint[] = [];
      let excludedAll = all.length > 0;
      for (const e of all) {
        if (this.excluded?.includes(e.instanceId)) continue;
        excludedAll = false;
        const state = upstreams.state(svc.name, e);
        if (upstreams.isFull(state, workers, maxQueue)) continue;
        open.push(e);
        if (!upstreams.isDown(state)) healthy.push(e);
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
      // A revision split picks the revision first; the policy then picks within it.
      if (svc.traffic) open = [...revisionCandidates(svc.traffic, open, this.deps.random)];
      ep =
        this.affinity === undefined
          ? this.deps.policy(open, this.deps.outstanding, this.deps.random)!
          : pickEndpointByKey(open, this.affinity)!;
    }
    state ??= upstreams.state(svc.name, ep);
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
    } else {
      this.holding = 'queued';
      this.queuedAt = performance.now();
    }
  }

  /**
   * Waits for the service's first ready instance. The wait does not count
   * against rpc.keepalive: that clock starts again when the request is sent.
   */
  private holdForActivation(activator: Activator): void {
    this.stopDeadline();
    this.deps.metrics.count(this.svc.name, 'hold');
    this.unhold = activator.hold(this.svc.name, {
      resume: (route) => {
        this.unhold = undefined;
        if (this.finished) return;
        this.svc = route;
        const ms = route.rpc.keepalive;
        if (ms > 0) {
          this.deps.deadlines ??= new Deadlines(this.deps.clock);
          this.deadline = this.deps.deadlines.add(ms, this);
        }
        this.dispatch();
      },
      reject: (status, code, message) => {
        this.unhold = undefined;
        if (!this.finished) this.fail(status, code, message);
      },
    });
  }

  /** Called by the instance queue when a worker slot frees up. */
  grant(): void {
    this.holding = 'active';
    this.deps.metrics.queueWait(this.svc.name, (performance.now() - this.queuedAt) / 1000);
    if (this.finished) this.releaseSlot();
    else this.send();
  }

  private send(): void {
    const { route } = this;
    this.live = true;
    this.written = false;
    this.connection = undefined;
    // A stream body gets no byte before undici has a connection for it (onConnect):
    // a refused connect then leaves it untouched for another instance.
    this.sink = this.pump ? new UpstreamBody() : undefined;
    // Latency samples only matter where there is a choice; one instance skips the clock reads.
    this.sentAt = this.svc.endpoints.length > 1 ? performance.now() : 0;
    if (this.sentAt > 0) this.runningAtSend = this.deps.upstreams.running(this.state!);
    this.state!.pool.dispatch(
      {
        method: this.req.method ?? 'GET',
        path: route.query === '' ? route.subPath : route.subPath + '?' + route.query,
        headers: this.headers,
        // A spooled body is read from its file again for every attempt.
        body: this.body instanceof SpooledBody ? this.body.open() : (this.body ?? this.sink ?? null),
      },
      this,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    if (!this.live) {
      abort();
      return;
    }
    this.abortUp = abort;
    this.written = true;
    this.reused = (this.connection?.served ?? 0) > 0;
    if (this.sink) this.pump!.attach(this.sink);
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (!this.live || this.finished) return false;
    this.stopDeadline();
    if (this.sentAt > 0) {
      // The mean of the two ends estimates how many requests shared the instance meanwhile.
      const running = (this.runningAtSend + this.deps.upstreams.running(this.state!)) / 2;
      this.deps.policy.record?.(this.instance, performance.now() - this.sentAt, running);
    }
    this.answered = true;
    this.resumeUp = resume;
    this.status = status;
    const out = ['x-pier-instance', this.instance];
    const length = copyResponseHeaders(raw, out);
    this.res.writeHead(status, out as unknown as Record<string, string>);
    // Streams (no Content-Length) get their headers at once; small answers go out
    // with their body in one write (see onData).
    if (length < 0) this.res.flushHeaders();
    else this.bytesOut = length;
    this.expected = length;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.live) return false;
    if (this.expected < 0) this.bytesOut += chunk.length;
    else if (chunk.length === this.expected) {
      // The whole body in one chunk: end() sends headers and body together.
      this.held = chunk;
      return true;
    }
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resumeUp!);
    return false;
  }

  onComplete(): void {
    if (!this.live) return;
    this.live = false;
    this.abortUp = undefined;
    if (this.connection) this.connection.served++;
    if (this.finished) return;
    this.res.end(this.held);
    this.held = undefined;
  }

  onError(err: Error): void {
    if (!this.live) return;
    this.live = false;
    this.abortUp = undefined;
    if (this.finished) return;
    if (this.answered) {
      this.res.destroy();
      return;
    }
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
      this.fail(400, 'BAD_REQUEST', `the request cannot be forwarded: ${err.message}`);
      return;
    }
    // Not written: the instance never saw it. Written on a reused socket that then
    // failed: the instance closed it while idle (or the request is lost with it).
    // Written on a fresh socket that failed before any answer: the instance died
    // under it; nginx's proxy_next_upstream rule retries that for idempotent
    // methods only (GET, HEAD, OPTIONS, PUT, DELETE), so a POST on a fresh socket is
    // never sent twice. A POST on a reused socket is retried, as undici and browsers
    // do for the keep-alive close race; when the service has one instance, that
    // instance is tried again (a dead one then refuses and is marked down) instead
    // of answering 503 with nobody left to try.
    const unsent = !this.written;
    const stale = this.written && (this.reused || IDEMPOTENT.has(this.req.method ?? '')) && STALE_ERRORS.has(code);
    if (unsent && CONNECT_ERRORS.has(code)) this.deps.upstreams.markDown(this.state!, this.deps.passiveHealthMs);
    this.deps.metrics.count(this.svc.name, unsent ? 'connect_error' : 'reset');
    const replayable = this.body !== undefined || !this.pump || this.pump.replayable();
    if ((unsent || stale) && replayable && this.tries < this.deps.retries) {
      this.tries++;
      this.deps.metrics.count(this.svc.name, 'retry');
      this.excluded ??= [];
      // Another instance first: the pool may hold more dead sockets to this one.
      if (!(stale && this.reused && this.svc.endpoints.length === 1)) this.excluded.push(this.instance);
      this.pump?.detach();
      this.releaseSlot();
      this.dispatch();
      return;
    }
    if (unsent) this.fail(503, 'UNAVAILABLE', `no healthy upstream: instance ${this.instance} refused the connection`);
    else this.fail(504, 'UPSTREAM_FAILED', `instance ${this.instance} closed the connection without an answer`);
  }

  /** rpc.keepalive passed (Deadlines). */
  expire(): void {
    this.deadline = undefined;
    if (this.finished || this.answered) return;
    this.fail(408, 'TIMEOUT', `no answer within rpc.keepalive (${this.svc.rpc.keepalive} ms)`);
  }

  private stopDeadline(): void {
    if (this.deadline === undefined) return;
    this.deps.deadlines!.cancel(this.deadline);
    this.deadline = undefined;
  }

  private tooLarge(): void {
    if (this.answered) this.res.destroy();
    else this.fail(413, 'BODY_TOO_LARGE', `request body is larger than ${this.deps.maxBodyBytes} bytes`);
  }

  /** Answers with a gateway error and abandons the upstream call. */
  private fail(status: number, code: string, message: string): void {
    this.status = status;
    if (code === 'QUEUE_FULL') this.deps.metrics.count(this.svc.name, 'queue_full');
    else if (code === 'TIMEOUT') this.deps.metrics.count(this.svc.name, 'timeout');
    this.abortUpstream();
    this.releaseSlot();
    sendError(this.req, this.res, status, code, message);
  }

  /** Ends the current attempt; one not yet written aborts itself in onConnect. */
  private abortUpstream(): void {
    this.stopDeadline();
    if (!this.live) return;
    this.live = false;
    this.pump?.detach();
    const abort = this.abortUp;
    this.abortUp = undefined;
    abort?.();
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

  /** The client's response closed (answered or gone); see onCallClose. */
  closed(): void {
    this.finished = true;
    this.unhold?.();
    if (!this.res.writableFinished) {
      if (!this.answered && this.status === 0) this.status = 499;
      this.abortUpstream();
    }
    this.stopDeadline();
    this.releaseSlot();
    this.bytesIn = this.body instanceof SpooledBody ? this.body.length : (this.body?.length ?? this.pump?.bytes ?? 0);
    this.report.done(this);
  }
}

/** The call a response belongs to, for the shared 'close' listener. */
const CALL = Symbol('pier.proxyCall');
type CallResponse = ServerResponse & { [CALL]?: ProxyCall };

function onCallClose(this: CallResponse): void {
  this[CALL]?.closed();
}

export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Request headers that are never forwarded as sent (besides hop-by-hop and Proxy-*). */
const REPLACED = new Set(['x-forwarded-for', 'x-forwarded-proto', 'expect']);

/**
 * Request headers for the instance as a flat `[k, v, k, v…]` list (undici's fast
 * form): hop-by-hop and Proxy-* removed, `Expect` answered here (node's server sent
 * the 100 Continue), X-Forwarded-For/Proto/Host added. Host and Authorization pass.
 */
export function upstreamHeaders(req: IncomingMessage): string[] {
  const raw = req.rawHeaders;
  const src = req.headers;
  const listed = connectionListed(src.connection);
  const host = src.host;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Names Connection lists can be anything; otherwise only a few lengths need a look.
    if (listed !== undefined || mayDropOrRewrite(name)) {
      const lower = name.toLowerCase();
      if (REPLACED.has(lower) || isHopByHop(lower, listed) || lower.startsWith('proxy-')) continue;
      if (host !== undefined && lower === 'x-forwarded-host') continue;
    }
    out.push(name, raw[i + 1]!);
  }
  const remote = req.socket.remoteAddress ?? '';
  const prior = src['x-forwarded-for'];
  out.push('x-forwarded-for', prior ? `${prior}, ${remote}` : remote);
  out.push('x-forwarded-proto', 'encrypted' in req.socket ? 'https' : 'http');
  if (host !== undefined) out.push('x-forwarded-host', host);
  return out;
}
