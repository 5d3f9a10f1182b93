import type { IncomingHttpHeaders } from 'node:http2';
import { type TokenSecret, tokenMatches } from '../auth.js';

/**
 * Which service a gRPC call is for, and whether its token is right. Routing rule:
 * an `x-pier-service` or `x-eas-service` metadata entry wins; otherwise the first
 * label of `:authority` (`<service>.<anything>[:port]`, e.g. `echo.pier.local:9000`).
 */

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export function grpcServiceName(headers: IncomingHttpHeaders): string | undefined {
  const explicit = nonEmpty(headers['x-pier-service']) ?? nonEmpty(headers['x-eas-service']);
  if (explicit !== undefined) return NAME.test(explicit) ? explicit : undefined;
  const authority = first(headers[':authority']) ?? first(headers.host);
  if (authority === undefined) return undefined;
  const dot = authority.indexOf('.');
  if (dot <= 0) return undefined;
  const label = authority.slice(0, dot);
  return NAME.test(label) ? label : undefined;
}

export type GrpcAuthVerdict = 'ok' | 'missing' | 'malformed' | 'wrong';

export const GRPC_AUTH_FORMS = 'send the service token as "authorization" metadata: "<token>" or "Bearer <token>"';

/** Raw or Bearer token in `authorization` metadata, compared in constant time. */
export function checkGrpcToken(headers: IncomingHttpHeaders, secret: TokenSecret): GrpcAuthVerdict {
  const header = first(headers.authorization);
  if (header === undefined) return 'missing';
  const value = header.trim();
  if (value === '') return 'malformed';
  const space = value.indexOf(' ');
  if (space === -1) return tokenMatches(value, secret) ? 'ok' : 'wrong';
  const credential = value.slice(space + 1).trim();
  if (value.slice(0, space).toLowerCase() !== 'bearer' || credential === '' || credential.includes(' ')) {
    return 'malformed';
  }
  return tokenMatches(credential, secret) ? 'ok' : 'wrong';
}

function nonEmpty(v: string | string[] | undefined): string | undefined {
  const value = first(v)?.trim();
  return value === '' ? undefined : value;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
