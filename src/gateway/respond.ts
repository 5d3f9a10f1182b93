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
  // The usual values list nothing: no split, no set.
  if (typeof value === 'string' && (value.length === 10 || value.length === 5)) {
    const lower = value.toLowerCase();
    if (lower === 'keep-alive' || lower === 'close') return undefined;
  }
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

/**
 * Whether a header name may be one the gateway drops or rewrites: hop-by-hop
 * (RFC 9110 §7.6.1), `Proxy-*`, `Expect`, `X-Forwarded-*`, `Content-Length`.
 * Decided on the length and first letter, so the common names (Host, Content-Type,
 * Authorization, Date…) are copied without being lowercased.
 */
export function mayDropOrRewrite(name: string): boolean {
  switch (name.length) {
    case 2: // te
    case 6: // expect
    case 7: // trailer, upgrade
    case 10: // connection, keep-alive
    case 14: // content-length
    case 15: // x-forwarded-for
    case 16: // x-forwarded-host, proxy-connection
    case 17: // transfer-encoding, x-forwarded-proto
      return true;
    default:
      return (name.charCodeAt(0) | 0x20) === 0x70; // p: proxy-*
  }
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
 * when there is none (a stream). One pass; names a `Connection` header lists are
 * taken out afterwards (rare).
 */
export function copyResponseHeaders(raw: Buffer[], out: string[]): number {
  let listed: Set<string> | undefined;
  let length = -1;
  const start = out.length;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    if (mayDropOrRewrite(name)) {
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        const value = raw[i + 1]!.toString('latin1');
        length = Number(value);
        out.push(name, value);
        continue;
      }
      if (lower === 'connection') listed = connectionListed(raw[i + 1]!.toString('latin1'));
      if (HOP.has(lower) || lower.startsWith('proxy-')) continue;
    }
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  if (listed !== undefined) dropListed(out, start, listed);
  return Number.isFinite(length) ? length : -1;
}

/** Removes from `out` (from `start`) the pairs whose name `Connection` listed; Content-Length stays. */
function dropListed(out: string[], start: number, listed: Set<string>): void {
  let w = start;
  for (let r = start; r < out.length; r += 2) {
    const lower = out[r]!.toLowerCase();
    if (lower !== 'content-length' && listed.has(lower)) continue;
    out[w++] = out[r]!;
    out[w++] = out[r + 1]!;
  }
  out.length = w;
}

/** A gateway without the queue service (`pier gateway`): where to send an async service's calls instead. */
export function asyncElsewhere(service: string): string {
  return `${service} is an asynchronous service: asynchronous services are served by the control plane's gateway (the gateway port of pier server), not by pier gateway; send its queue calls there`;
}
