import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small helpers for the gateway's own answers (`{code, message}` JSON). */

export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  // A body we did not read keeps the connection from being reused safely.
  if (!req.complete && req.readableDidRead) res.setHeader('connection', 'close');
  res.end(text);
}

export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): void {
  sendJson(req, res, status, { code, message }, headers);
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus whatever `Connection` lists. */
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export function isHopByHop(lowerName: string, listed: Set<string> | undefined): boolean {
  return HOP.has(lowerName) || listed?.has(lowerName) === true;
}

/** The extra names a `Connection` header lists (besides keep-alive/close). */
export function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  let set: Set<string> | undefined;
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    if (!set) set = new Set();
    set.add(name);
  }
  return set;
}

/** Copies raw headers `[k, v, k, v…]` without hop-by-hop ones, as a flat list. */
export function filterRawHeaders(raw: string[], extraOut: string[]): string[] {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      listed = connectionListed(raw[i + 1]);
      break;
    }
  }
  const out = extraOut;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower.startsWith('proxy-') || isHopByHop(lower, listed)) continue;
    out.push(name, raw[i + 1]!);
  }
  return out;
}

/**
 * Appends an upstream answer's raw headers (undici's `Buffer[]`, `[k, v, k, v…]`)
 * to `out` as strings, without hop-by-hop ones. Returns the Content-Length, or -1
 * when there is none (a stream).
 */
export function copyResponseHeaders(raw: Buffer[], out: string[]): number {
  let listed: Set<string> | undefined;
  let length = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === 10 && key.toString('latin1').toLowerCase() === 'connection') {
      listed = connectionListed(raw[i + 1]!.toString('latin1'));
    }
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const value = raw[i + 1]!.toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'content-length') length = Number(value);
    else if (lower.startsWith('proxy-') || isHopByHop(lower, listed)) continue;
    out.push(name, value);
  }
  return Number.isFinite(length) ? length : -1;
}

/** A gateway without the queue service (`pier gateway`): where to send an async service's calls instead. */
export function asyncElsewhere(service: string): string {
  return `${service} is an asynchronous service: asynchronous services are served by the control plane's gateway (the gateway port of pier server), not by pier gateway; send its queue calls there`;
}
