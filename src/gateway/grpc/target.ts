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
  const label = authorityLabel(headers);
  return label !== undefined && NAME.test(label) ? label : undefined;
}

/** A gRPC call's target: a service, or a group with the member it pins. */
export interface GrpcTarget {
  name: string;
  member?: string;
}

/**
 * The routing rule with groups (docs/groups.md): `x-pier-service` (or
 * `x-eas-service`) may be `<group>.<service>`, as in the HTTP path; and when
 * `x-eas-service` or `:authority` names a group, `x-pier-service` pins a member
 * of it, as the header does for HTTP. Otherwise as grpcServiceName. Pure: the
 * caller says which names are groups.
 */
export function grpcTarget(headers: IncomingHttpHeaders, isGroup: (name: string) => boolean): GrpcTarget | undefined {
  const pier = nonEmpty(headers['x-pier-service']);
  const eas = nonEmpty(headers['x-eas-service']);
  const explicit = pier ?? eas;
  if (explicit?.includes('.')) {
    const [name, member, ...rest] = explicit.split('.');
    return rest.length === 0 && NAME.test(name!) && NAME.test(member!) && isGroup(name!)
      ? { name: name!, member }
      : undefined;
  }
  if (pier !== undefined) {
    const outer = eas ?? authorityLabel(headers);
    if (outer !== undefined && NAME.test(outer) && outer !== pier && isGroup(outer)) {
      return NAME.test(pier) ? { name: outer, member: pier } : undefined;
    }
  }
  const name = grpcServiceName(headers);
  return name === undefined ? undefined : { name };
}

function authorityLabel(headers: IncomingHttpHeaders): string | undefined {
  const authority = first(headers[':authority']) ?? first(headers.host);
  const dot = authority?.indexOf('.') ?? -1;
  return dot > 0 ? authority!.slice(0, dot) : undefined;
}

export type GrpcAuthVerdict = 'ok' | 'missing' | 'malformed' | 'wrong';

export const GRPC_AUTH_FORMS = 'send the service token as "authorization" metadata: "<token>" or "Bearer <token>"';

/** The UNAUTHENTICATED message for a verdict other than 'ok'. */
export function authFailure(verdict: Exclude<GrpcAuthVerdict, 'ok'>): string {
  return `${verdict === 'wrong' ? 'wrong token' : `${verdict} authorization metadata`}; ${GRPC_AUTH_FORMS}`;
}

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
