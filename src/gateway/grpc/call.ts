import {
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { TimerHandle } from '../../clock.js';
import type { GatewayCore } from '../core.js';
import { type Deadline, Deadlines, type Expirable } from '../deadlines.js';
import { pickEndpointByKey } from '../groups/pick.js';
import { revisionCandidates } from '../revisions.js';
import type { Endpoint, ServiceRoute } from '../types.js';
import type { InstanceState } from '../upstreams.js';
import { downstreamHeaders, upstreamRequestHeaders } from './headers.js';
import type { H2Sessions, UpstreamSession } from './sessions.js';
import { GrpcStatus, sendTrailersOnly, statusTrailers } from './status.js';

/**
 * One gRPC call (any of the four kinds) forwarded to one ready instance over its
 * pooled HTTP/2 session. The same per-instance accounting as HTTP calls: a worker
 * slot (or a place in the queue) for the whole call, so drain and autoscaler stats
 * see it. Request data is sent only once the connection exists, so a refused
 * connection never reached the instance and the call fails over (at most
 * `retries` times). Deadline (`grpc-timeout`) and `rpc.keepalive` (until the
 * answer starts) end the call with DEADLINE_EXCEEDED; a cancel on either side
 * cancels the other.
 */

export interface GrpcDeps {
  core: GatewayCore;
  sessions: H2Sessions;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT']);
const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_NO_ERROR, NGHTTP2_FLAG_END_STREAM } = constants;

export class GrpcCall implements Expirable {
  /** The gRPC status the client got; -1 until known (client gone → CANCELLED). */
  status = -1;
  instance = '';
  bytesIn = 0;
  bytesOut = 0;
  private state: InstanceState | undefined;
  private holding: 'none' | 'queued' | 'active' = 'none';
  private up: ClientHttp2Stream | undefined;
  private upError: NodeJS.ErrnoException | undefined;
  private entry: UpstreamSession | undefined;
  private responded = false;
  private trailers: OutgoingHttpHeaders | undefined;
  private tries = 0;
  private readonly excluded: string[] = [];
  private deadline: TimerHandle | undefined;
  /** rpc.keepalive, on the gateway's shared deadline lanes (no timer per call). */
  private keepalive: Deadline | undefined;
  private deadlineAt: number | undefined;
  private finished = false;
  /** The client's request data is being forwarded (listeners attached once per call). */
  private forwarding = false;
  private clientEnded = false;
  /** A group's affinity value: the instance is picked by consistent hashing on it, not by the policy. */
  affinity: string | undefined = undefined;

  constructor(
    private readonly deps: GrpcDeps,
    private readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly svc: ServiceRoute,
    private readonly timeoutMs: number | undefined,
    /** Told once, when the client's stream has closed. */
    private readonly log: { done(call: GrpcCall): void },
  ) {}

  start(): void {
    const { clock, proxy } = this.deps.core;
    // Listeners shared by every call find it on the stream (no closures per call; see onStream*).
    (this.stream as Carrier)[CALL] = this;
    this.stream.on('close', onClientClose);
    if (this.timeoutMs !== undefined) {
      const timeoutMs = this.timeoutMs;
      this.deadlineAt = clock.now() + timeoutMs;
      this.deadline = clock.setTimeout(() => this.onDeadline(), timeoutMs);
    }
    const ms = this.svc.rpc.keepalive;
    if (ms > 0) {
      proxy.deadlines ??= new Deadlines(clock);
      this.keepalive = proxy.deadlines.add(ms, this);
    }
    this.dispatch();
  }

  private dispatch(): void {
    const { upstreams, policy, outstanding, random } = this.deps.core.proxy;
    const { svc } = this;
    const workers = svc.rpc.worker_threads;
    const maxQueue = svc.rpc.max_queue_size;
    const open: Endpoint[] = [];
    const healthy: Endpoint[] = [];
    let left = 0;
    for (const ep of svc.endpoints) {
      if (this.excluded.includes(ep.instanceId)) continue;
      left++;
      const state = upstreams.state(svc.name, ep);
      if (upstreams.isFull(state, workers, maxQueue)) continue;
      open.push(ep);
      if (!upstreams.isDown(state)) healthy.push(ep);
    }
    if (left === 0) {
      this.fail(GrpcStatus.UNAVAILABLE, `no healthy upstream for service "${svc.name}"`);
      return;
    }
    if (open.length === 0) {
      this.fail(GrpcStatus.RESOURCE_EXHAUSTED, `every instance of "${svc.name}" is busy and its queue is full`);
      return;
    }
    // A revision split picks the revision first; the policy (or the affinity key) then picks within it.
    const pool = revisionCandidates(svc.traffic, healthy.length > 0 ? healthy : open, random);
    const ep = (
      this.affinity === undefined ? policy(pool, outstanding, random) : pickEndpointByKey(pool, this.affinity)
    )!;
    const state = upstreams.state(svc.name, ep);
    this.state = state;
    this.instance = ep.instanceId;
    const got = upstreams.acquire(state, workers, maxQueue, this);
    if (got === 'full') {
      this.fail(GrpcStatus.RESOURCE_EXHAUSTED, `every instance of "${svc.name}" is busy`);
      return;
    }
    this.deps.core.metrics.inflightInc(svc.name, ep.instanceId);
    this.holding = got === 'run' ? 'active' : 'queued';
    if (got === 'run') this.send();
  }

  /** Called by the instance queue when a worker slot frees up. */
  grant(): void {
    this.holding = 'active';
    if (this.finished) this.releaseSlot();
    else this.send();
  }

  private send(): void {
    const state = this.state!;
    const entry = this.deps.sessions.get(state.endpoint);
    this.entry = entry;
    this.upError = undefined;
    const remaining = this.deadlineAt === undefined ? undefined : this.deadlineAt - this.deps.core.clock.now();
    const headers = upstreamRequestHeaders(this.headers, remaining, this.stream.session?.socket?.remoteAddress ?? '');
    let up: ClientHttp2Stream;
    try {
      up = entry.session.request(headers, { endStream: false });
    } catch (err) {
      this.upError = err as NodeJS.ErrnoException;
      this.onUpstreamClose();
      return;
    }
    this.up = up;
    (up as Carrier)[CALL] = this;
    up.on('response', onUpResponse);
    up.on('trailers', onUpTrailers);
    up.on('error', onUpError);
    up.on('close', onUpClose);
    if (entry.connected) this.attachBody(up);
    else entry.session.once('connect', () => this.attachBody(up));
  }

  /**
   * Request data goes to the current upstream stream by hand rather than `pipe()`:
   * a unary call is one or two frames each way, and pipe's dozen listeners per
   * stream (added and removed per call) cost more than the forwarding itself.
   * Backpressure is kept: a full upstream pauses the client stream until `drain`.
   */
  private attachBody(up: ClientHttp2Stream): void {
    if (this.up !== up || this.finished) return;
    if (this.clientEnded) {
      up.end();
      return;
    }
    if (this.forwarding) return;
    this.forwarding = true;
    this.stream.on('data', onClientData);
    this.stream.on('end', onClientEnd);
  }

  onClientData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    const up = this.up;
    if (up && !up.write(chunk)) {
      this.stream.pause();
      up.once('drain', onUpDrain);
    }
  }

  resumeClient(): void {
    this.stream.resume();
  }

  onClientEnd(): void {
    this.clientEnded = true;
    this.up?.end();
  }

  onUpData(chunk: Buffer): void {
    this.bytesOut += chunk.length;
    if (!this.stream.write(chunk)) {
      this.up?.pause();
      this.stream.once('drain', onClientDrain);
    }
  }

  resumeUp(): void {
    this.up?.resume();
  }

  onUpEnd(): void {
    if (!this.stream.writableEnded) this.stream.end();
  }

  onResponse(headers: IncomingHttpHeaders, flags: number): void {
    if (this.finished || this.responded) return;
    this.responded = true;
    this.stopKeepalive();
    const out = downstreamHeaders(headers, ['x-pier-instance', this.instance]);
    if (flags & NGHTTP2_FLAG_END_STREAM) {
      // Trailers-only answer (typically an error status): pass it on as is.
      this.status = Number(headers['grpc-status'] ?? GrpcStatus.UNKNOWN);
      this.stream.respond(out, { endStream: true });
      return;
    }
    this.stream.respond(out, { waitForTrailers: true });
    this.stream.on('wantTrailers', onWantTrailers);
    this.up!.on('data', onUpData);
    this.up!.on('end', onUpEnd);
  }

  onTrailers(trailers: IncomingHttpHeaders): void {
    this.trailers ??= downstreamHeaders(trailers);
  }

  onWantTrailers(): void {
    const t = this.trailers ?? statusTrailers(GrpcStatus.UNKNOWN, 'instance ended the stream without a status');
    this.status = Number(t['grpc-status'] ?? GrpcStatus.UNKNOWN);
    this.stream.sendTrailers(t);
  }

  /** The upstream stream closed: a normal end, a reset mid-answer, or no answer at all. */
  onUpstreamClose(): void {
    const up = this.up;
    if (this.finished) return;
    if (this.responded) {
      if (this.trailers || !up || up.rstCode === NGHTTP2_NO_ERROR) return;
      const cancelled = up.rstCode === NGHTTP2_CANCEL;
      this.endWith(
        cancelled ? GrpcStatus.CANCELLED : GrpcStatus.UNAVAILABLE,
        `instance ${this.instance} reset the stream (HTTP/2 error ${up.rstCode})`,
      );
      return;
    }
    const code = this.upError?.code ?? '';
    const neverConnected = this.entry !== undefined && !this.entry.connected;
    const refused =
      (neverConnected && (CONNECT_ERRORS.has(code) || code === 'ERR_HTTP2_ERROR' || this.upError !== undefined)) ||
      up?.rstCode === NGHTTP2_REFUSED_STREAM ||
      code === 'ERR_HTTP2_GOAWAY_SESSION' ||
      code === 'ERR_HTTP2_INVALID_SESSION';
    if (neverConnected) this.deps.core.upstreams.markDown(this.state!, this.deps.core.proxy.passiveHealthMs);
    if (refused && this.bytesIn === 0 && this.tries < this.deps.core.proxy.retries) {
      this.tries++;
      this.excluded.push(this.instance);
      this.up = undefined;
      this.releaseSlot();
      this.dispatch();
      return;
    }
    this.fail(
      GrpcStatus.UNAVAILABLE,
      refused
        ? `no healthy upstream: instance ${this.instance} refused the connection`
        : `instance ${this.instance} closed the stream without an answer`,
    );
  }

  private onDeadline(): void {
    this.deadline = undefined;
    if (this.finished) return;
    this.endWith(GrpcStatus.DEADLINE_EXCEEDED, `deadline of ${this.timeoutMs} ms (grpc-timeout) exceeded`);
  }

  /** rpc.keepalive passed (Deadlines). */
  expire(): void {
    this.keepalive = undefined;
    if (this.finished || this.responded) return;
    this.fail(GrpcStatus.DEADLINE_EXCEEDED, `no answer within rpc.keepalive (${this.svc.rpc.keepalive} ms)`);
  }

  /** Ends the call with a gateway status, before or after the answer started. */
  private endWith(status: number, message: string): void {
    if (!this.responded) {
      this.fail(status, message);
      return;
    }
    this.status = status;
    this.trailers = statusTrailers(status, message);
    this.abortUpstream();
    if (!this.stream.writableEnded) this.stream.end();
  }

  /** Answers with a gateway error (trailers-only) and abandons the upstream call. */
  private fail(status: number, message: string): void {
    this.status = status;
    this.abortUpstream();
    this.releaseSlot();
    sendTrailersOnly(this.stream, status, message);
  }

  private abortUpstream(): void {
    this.stopKeepalive();
    const up = this.up;
    this.up = undefined;
    if (!up) return;
    up.removeListener('data', onUpData);
    up.removeListener('end', onUpEnd);
    if (!up.closed) up.close(NGHTTP2_CANCEL);
  }

  private releaseSlot(): void {
    const state = this.state;
    if (!state || this.holding === 'none') return;
    if (this.holding === 'active') this.deps.core.upstreams.release(state);
    else this.deps.core.upstreams.cancel(state, this);
    this.holding = 'none';
    this.deps.core.metrics.inflightDec(this.svc.name, state.id);
  }

  isCurrent(up: ClientHttp2Stream): boolean {
    return this.up === up;
  }

  upstreamError(err: NodeJS.ErrnoException): void {
    this.upError = err;
  }

  private stopKeepalive(): void {
    if (this.keepalive === undefined) return;
    this.deps.core.proxy.deadlines?.cancel(this.keepalive);
    this.keepalive = undefined;
  }

  onClientClose(): void {
    this.finished = true;
    this.deps.core.clock.clearTimeout(this.deadline);
    this.stopKeepalive();
    // Closed before a status went out: the client cancelled (RST_STREAM) or left.
    if (this.status === -1) this.status = GrpcStatus.CANCELLED;
    const up = this.up;
    if (up && !up.closed && (this.stream.rstCode !== NGHTTP2_NO_ERROR || !this.trailers)) up.close(NGHTTP2_CANCEL);
    this.releaseSlot();
    this.log.done(this);
  }
}

/** The call a stream (client or upstream) belongs to, for the listeners below. */
const CALL = Symbol('pier.grpcCall');
type Carrier = { [CALL]?: GrpcCall };

function callOf(emitter: unknown): GrpcCall {
  return (emitter as Carrier)[CALL]!;
}

function onClientClose(this: ServerHttp2Stream): void {
  callOf(this).onClientClose();
}
function onClientData(this: ServerHttp2Stream, chunk: Buffer): void {
  callOf(this).onClientData(chunk);
}
function onClientEnd(this: ServerHttp2Stream): void {
  callOf(this).onClientEnd();
}
function onClientDrain(this: ServerHttp2Stream): void {
  callOf(this).resumeUp();
}
function onWantTrailers(this: ServerHttp2Stream): void {
  callOf(this).onWantTrailers();
}
function onUpResponse(this: ClientHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
  callOf(this).onResponse(headers, flags);
}
function onUpTrailers(this: ClientHttp2Stream, trailers: IncomingHttpHeaders): void {
  callOf(this).onTrailers(trailers);
}
function onUpData(this: ClientHttp2Stream, chunk: Buffer): void {
  callOf(this).onUpData(chunk);
}
function onUpEnd(this: ClientHttp2Stream): void {
  callOf(this).onUpEnd();
}
function onUpDrain(this: ClientHttp2Stream): void {
  callOf(this).resumeClient();
}
/** Only the current attempt's stream counts (a retried one may still report). */
function onUpError(this: ClientHttp2Stream, err: Error): void {
  const call = callOf(this);
  if (call.isCurrent(this)) call.upstreamError(err as NodeJS.ErrnoException);
}
function onUpClose(this: ClientHttp2Stream): void {
  const call = callOf(this);
  if (call.isCurrent(this)) call.onUpstreamClose();
}
