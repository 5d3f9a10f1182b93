import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_FORMS, type AuthVerdict } from './auth.js';
import { type GatewayCore, recordDone } from './core.js';
import type { CallDone, ProxyCall } from './proxy.js';
import { sendError } from './respond.js';

/** One request's bookkeeping on the HTTP pipeline (handle.ts, groups/handle.ts): its log entry and error answers. */

export type Finish = (instance: string, status: number, bytesIn: number, bytesOut: number) => void;

/** One request's stats and access-log entry, written once (a class: no closures per request). */
export class RequestLog implements CallDone {
  private logged = false;

  constructor(
    private readonly core: GatewayCore,
    private readonly method: string,
    private readonly service: string,
    private readonly stats: { inflight: number },
    private readonly startedNs: bigint,
    private readonly group?: string,
  ) {}

  finish(instance: string, status: number, bytesIn: number, bytesOut: number): void {
    if (this.logged) return;
    this.logged = true;
    this.stats.inflight--;
    const { method, service, startedNs, group } = this;
    const e = { method, service, instance, status, startedNs, bytesIn, bytesOut };
    recordDone(this.core, group === undefined ? e : { ...e, group });
  }

  done(call: ProxyCall): void {
    this.finish(call.instance, call.status, call.bytesIn, call.bytesOut);
  }

  finisher(): Finish {
    return (instance, status, bytesIn, bytesOut) => this.finish(instance, status, bytesIn, bytesOut);
  }
}

export function replyError(
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLog,
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): void {
  res.once('close', () => entry.finish('', status, 0, 0));
  sendError(req, res, status, code, message, headers);
}

/** Answers a request whose credentials do not pass; false when they do. */
export function refused(req: IncomingMessage, res: ServerResponse, entry: RequestLog, verdict: AuthVerdict): boolean {
  if (verdict.kind === 'missing') {
    replyError(req, res, entry, 401, 'UNAUTHORIZED', `missing Authorization header; ${AUTH_FORMS}`, {
      'www-authenticate': 'Bearer realm="pier"',
    });
    return true;
  }
  if (verdict.kind === 'malformed') {
    replyError(req, res, entry, 400, 'BAD_REQUEST', `malformed Authorization header; ${AUTH_FORMS}`);
    return true;
  }
  if (verdict.kind === 'wrong') {
    replyError(req, res, entry, 401, 'UNAUTHORIZED', verdict.reason ?? 'wrong token or signature', {
      'www-authenticate': 'Bearer realm="pier"',
    });
    return true;
  }
  return false;
}
