import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { countRequest, recordDone } from '../core.js';
import type { ServiceRoute } from '../types.js';
import { GrpcCall, type GrpcDeps } from './call.js';
import { GrpcStatus, httpEquivalent, sendTrailersOnly } from './status.js';
import { parseGrpcTimeout } from './timeout.js';

/** The accounting of one call to a service (through a group's endpoint when `group` is set). */
export interface CallRecord {
  finish(instance: string, status: number, bytesIn: number, bytesOut: number): void;
  /** A gateway-made answer (trailers only), then finish. */
  reply(stream: ServerHttp2Stream, status: number, message: string): void;
}

export function callRecord(
  deps: GrpcDeps,
  svc: ServiceRoute | undefined,
  group: string | undefined,
  startedNs: bigint,
): CallRecord {
  const { core } = deps;
  const stats = svc ? countRequest(core, svc.name) : undefined;
  const record: CallRecord = {
    finish(instance, status, bytesIn, bytesOut) {
      if (stats) stats.inflight--;
      const e = { method: 'GRPC', service: svc?.name ?? '', instance, status: httpEquivalent(status), startedNs };
      const entry = { ...e, bytesIn, bytesOut };
      recordDone(core, group === undefined ? entry : { ...entry, group });
    },
    reply(stream, status, message) {
      sendTrailersOnly(stream, status, message);
      record.finish('', status, 0, 0);
    },
  };
  return record;
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
  if (!core.limiter.allow(svc.name, svc.rpc.rate_limit, core.clock.now())) {
    done.reply(
      stream,
      GrpcStatus.RESOURCE_EXHAUSTED,
      `more than rpc.rate_limit (${svc.rpc.rate_limit}) calls per second`,
    );
    return;
  }
  const timeoutMs = parseGrpcTimeout(headers['grpc-timeout']);
  const call = new GrpcCall(deps, stream, headers, svc, timeoutMs, (c) =>
    done.finish(c.instance, c.status, c.bytesIn, c.bytesOut),
  );
  call.affinity = affinity;
  call.start();
}
