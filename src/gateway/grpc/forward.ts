import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { countRequest, type GatewayCore, recordDone } from '../core.js';
import type { ServiceRoute } from '../types.js';
import { GrpcCall, type GrpcDeps } from './call.js';
import { GrpcStatus, httpEquivalent, sendTrailersOnly } from './status.js';
import { parseGrpcTimeout } from './timeout.js';

/** The accounting of one call to a service (through a group's endpoint when `group` is set); a class: no closures per call. */
export class CallRecord {
  private readonly stats: { inflight: number } | undefined;

  constructor(
    private readonly core: GatewayCore,
    private readonly service: ServiceRoute | undefined,
    private readonly group: string | undefined,
    private readonly startedNs: bigint,
  ) {
    this.stats = service ? countRequest(core, service.name) : undefined;
  }

  finish(instance: string, status: number, bytesIn: number, bytesOut: number): void {
    if (this.stats) this.stats.inflight--;
    const { core, group, startedNs } = this;
    const entry = {
      method: 'GRPC',
      service: this.service?.name ?? '',
      instance,
      status: httpEquivalent(status),
      startedNs,
      bytesIn,
      bytesOut,
    };
    recordDone(core, group === undefined ? entry : { ...entry, group });
  }

  /** A gateway-made answer (trailers only), then finish. */
  reply(stream: ServerHttp2Stream, status: number, message: string): void {
    sendTrailersOnly(stream, status, message);
    this.finish('', status, 0, 0);
  }

  /** The call to an instance has ended (GrpcCall tells it once). */
  done(call: GrpcCall): void {
    this.finish(call.instance, call.status, call.bytesIn, call.bytesOut);
  }
}

export function callRecord(
  deps: GrpcDeps,
  svc: ServiceRoute | undefined,
  group: string | undefined,
  startedNs: bigint,
): CallRecord {
  return new CallRecord(deps.core, svc, group, startedNs);
}

/** An authenticated call to one service: rate limit, then to an instance (`affinity` picks it by key). */
export function forward(
  deps: GrpcDeps,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  svc: ServiceRoute,
  done: CallRecord,
  affinity: string | undefined,
): void {
  const { core } = deps;
  const rate = svc.rpc.rate_limit;
  if (rate !== undefined && !core.limiter.allow(svc.name, rate, core.clock.now())) {
    done.reply(stream, GrpcStatus.RESOURCE_EXHAUSTED, `more than rpc.rate_limit (${rate}) calls per second`);
    return;
  }
  const timeoutMs = parseGrpcTimeout(headers['grpc-timeout']);
  const call = new GrpcCall(deps, stream, headers, svc, timeoutMs, done);
  call.affinity = affinity;
  call.start();
}
