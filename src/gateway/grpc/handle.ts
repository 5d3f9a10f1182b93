import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { tokenSecret } from '../auth.js';
import { countRequest, type GatewayCore, recordDone, secretOf } from '../core.js';
import { GrpcCall, type GrpcDeps } from './call.js';
import { GrpcStatus, httpEquivalent, sendTrailersOnly } from './status.js';
import { checkGrpcToken, GRPC_AUTH_FORMS, grpcServiceName } from './target.js';
import { parseGrpcTimeout } from './timeout.js';

/**
 * The gRPC pipeline, the HTTP one's twin: service (metadata or :authority) →
 * enable_grpc → token → rate limit → forward. Every gateway-made answer is a
 * proper gRPC status; metrics and the access log record the HTTP equivalent.
 */
export function handleGrpcStream(deps: GrpcDeps, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const { core } = deps;
  const startedNs = process.hrtime.bigint();
  stream.on('error', noop);
  if (!isGrpc(headers['content-type'])) {
    refuseNonGrpc(stream);
    return;
  }
  const name = grpcServiceName(headers);
  const svc = name === undefined ? undefined : core.snapshot.services[name];
  if (name !== undefined && !svc) {
    // As for HTTP: a caller holding no service's token cannot tell unknown names from known ones.
    const verdict = anyServiceToken(deps, headers);
    if (verdict !== 'ok') {
      const what = verdict === 'wrong' ? 'wrong token' : `${verdict} authorization metadata`;
      sendTrailersOnly(stream, GrpcStatus.UNAUTHENTICATED, `${what}; ${GRPC_AUTH_FORMS}`);
      recordDone(core, { method: 'GRPC', service: '', instance: '', status: 401, startedNs, bytesIn: 0, bytesOut: 0 });
      return;
    }
  }
  if (!svc?.enableGrpc) {
    const why =
      name === undefined
        ? 'no service named; send "x-pier-service" (or "x-eas-service") metadata or call <service>.<host> as :authority'
        : svc
          ? `service "${name}" does not enable gRPC (metadata.enable_grpc)`
          : `service "${name}" not found`;
    sendTrailersOnly(stream, GrpcStatus.NOT_FOUND, why);
    recordDone(core, { method: 'GRPC', service: '', instance: '', status: 404, startedNs, bytesIn: 0, bytesOut: 0 });
    return;
  }
  const log = new CallLog(core, svc.name, countRequest(core, svc.name), startedNs);
  const verdict = checkGrpcToken(headers, secretOf(core, svc));
  if (verdict !== 'ok') {
    const what = verdict === 'wrong' ? 'wrong token' : `${verdict} authorization metadata`;
    log.reply(stream, GrpcStatus.UNAUTHENTICATED, `${what}; ${GRPC_AUTH_FORMS}`);
    return;
  }
  const rate = svc.rpc.rate_limit;
  if (rate !== undefined && !core.limiter.allow(svc.name, rate, core.clock.now())) {
    log.reply(stream, GrpcStatus.RESOURCE_EXHAUSTED, `more than rpc.rate_limit (${rate}) calls per second`);
    return;
  }
  const timeoutMs = parseGrpcTimeout(headers['grpc-timeout']);
  new GrpcCall(deps, stream, headers, svc, timeoutMs, log).start();
}

/** One call's stats and access-log entry (a class: no closures per call). */
class CallLog {
  constructor(
    private readonly core: GatewayCore,
    private readonly service: string,
    private readonly stats: { inflight: number },
    private readonly startedNs: bigint,
  ) {}

  finish(instance: string, status: number, bytesIn: number, bytesOut: number): void {
    this.stats.inflight--;
    const { core, service, startedNs } = this;
    recordDone(core, {
      method: 'GRPC',
      service,
      instance,
      status: httpEquivalent(status),
      startedNs,
      bytesIn,
      bytesOut,
    });
  }

  /** A gateway-made status before any upstream call. */
  reply(stream: ServerHttp2Stream, status: number, message: string): void {
    sendTrailersOnly(stream, status, message);
    this.finish('', status, 0, 0);
  }

  done(call: GrpcCall): void {
    this.finish(call.instance, call.status, call.bytesIn, call.bytesOut);
  }
}

function isGrpc(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.startsWith('application/grpc')) return false;
  const next = contentType.charCodeAt('application/grpc'.length);
  return Number.isNaN(next) || next === 43 /* + */ || next === 59 /* ; */;
}

/** HTTP/2 carries gRPC only; plain HTTP calls use HTTP/1.1 on the same port. */
function refuseNonGrpc(stream: ServerHttp2Stream): void {
  if (stream.destroyed || stream.headersSent) return;
  const body = JSON.stringify({
    code: 'HTTP2_GRPC_ONLY',
    message: 'HTTP/2 on this port carries gRPC (content-type application/grpc); send HTTP calls over HTTP/1.1',
  });
  stream.respond({ ':status': 505, 'content-type': 'application/json; charset=utf-8' });
  stream.end(body);
}

function noop(): void {}

const NO_SECRET = tokenSecret('');

/** checkGrpcToken against every service, no early exit: 'ok' when some service's token was sent. */
function anyServiceToken(deps: GrpcDeps, headers: IncomingHttpHeaders): 'ok' | 'missing' | 'malformed' | 'wrong' {
  let verdict = checkGrpcToken(headers, NO_SECRET);
  if (verdict === 'ok') verdict = 'wrong';
  for (const s of Object.values(deps.core.snapshot.services)) {
    if (checkGrpcToken(headers, secretOf(deps.core, s)) === 'ok') verdict = 'ok';
  }
  return verdict;
}
