import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { formatGrpcTimeout } from './timeout.js';

/**
 * Metadata passes through untouched; only connection-specific fields (RFC 9113
 * §8.2.2) are dropped, `TE: trailers` is kept, `grpc-timeout` carries the budget
 * that is left, and X-Forwarded-For/Proto are added as for HTTP calls.
 */

const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
]);

function dropped(name: string): boolean {
  return CONNECTION_SPECIFIC.has(name) || name.startsWith('proxy-');
}

export function upstreamRequestHeaders(
  h: IncomingHttpHeaders,
  remainingMs: number | undefined,
  remoteAddress: string,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {
    ':method': h[':method'] ?? 'POST',
    ':scheme': 'http',
    ':path': h[':path'] ?? '/',
    ':authority': h[':authority'] ?? h.host ?? 'localhost',
  };
  for (const name in h) {
    if (name.charCodeAt(0) === 58 /* ':' */ || dropped(name)) continue;
    if (name === 'te' || name === 'grpc-timeout' || name === 'x-forwarded-for') continue;
    out[name] = h[name];
  }
  out.te = 'trailers';
  const prior = h['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${remoteAddress}` : remoteAddress;
  out['x-forwarded-proto'] ??= 'http';
  if (remainingMs !== undefined) out['grpc-timeout'] = formatGrpcTimeout(remainingMs);
  return out;
}

/** Response headers (with `:status`) or trailers from the instance, for the client. */
export function downstreamHeaders(h: IncomingHttpHeaders, extra?: [string, string]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in h) {
    if (dropped(name) || (name.charCodeAt(0) === 58 && name !== ':status')) continue;
    out[name] = h[name];
  }
  if (extra) out[extra[0]] = extra[1];
  return out;
}
