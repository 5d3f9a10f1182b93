import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { tokenSecret } from '../auth.js';
import { recordDone, secretOf } from '../core.js';
import type { GrpcDeps } from './call.js';
import { callRecord, forward } from './forward.js';
import { handleGroupCall } from './group.js';
import { GrpcStatus, sendTrailersOnly } from './status.js';
import { authFailure, checkGrpcToken, grpcTarget } from './target.js';

/**
 * The gRPC pipeline, the HTTP one's twin: service or group (metadata or
 * :authority) → enable_grpc → token → rate limit → forward (a group picks its
 * member first, group.ts). Every gateway-made answer is a
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
  const { services, groups } = core.snapshot;
  const target = grpcTarget(headers, (n) => groups?.[n] !== undefined && services[n] === undefined);
  const group = target && services[target.name] === undefined ? groups?.[target.name] : undefined;
  if (group) {
    handleGroupCall(deps, stream, headers, group, target!.member, startedNs);
    return;
  }
  const name = target?.name;
  const svc = name === undefined ? undefined : services[name];
  if (name !== undefined && !svc) {
    // As for HTTP: a caller holding no service's token cannot tell unknown names from known ones.
    const verdict = anyToken(deps, headers);
    if (verdict !== 'ok') {
      sendTrailersOnly(stream, GrpcStatus.UNAUTHENTICATED, authFailure(verdict));
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
  const done = callRecord(deps, svc, undefined, startedNs);
  const verdict = checkGrpcToken(headers, secretOf(core, svc));
  if (verdict !== 'ok') {
    done.reply(stream, GrpcStatus.UNAUTHENTICATED, authFailure(verdict));
    return;
  }
  forward(deps, stream, headers, svc, done, undefined);
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

/** checkGrpcToken against every service and group, no early exit: 'ok' when one's token was sent. */
function anyToken(deps: GrpcDeps, headers: IncomingHttpHeaders): 'ok' | 'missing' | 'malformed' | 'wrong' {
  let verdict = checkGrpcToken(headers, NO_SECRET);
  if (verdict === 'ok') verdict = 'wrong';
  const { services, groups } = deps.core.snapshot;
  for (const s of Object.values(services)) if (checkGrpcToken(headers, secretOf(deps.core, s)) === 'ok') verdict = 'ok';
  for (const g of Object.values(groups ?? {}))
    if (checkGrpcToken(headers, secretOf(deps.core, g)) === 'ok') verdict = 'ok';
  return verdict;
}
