/**
 * The httpGet handler, after kubelet's pkg/probe/http/http.go and request.go:
 * fresh connection per probe, no proxy, no compression, at most 10 KiB of body,
 * 200 ≤ status < 400 is healthy, redirects followed only to the same hostname.
 */

import http from 'node:http';
import https from 'node:https';
import type { HttpGetAction } from '../spec/index.js';
import { describeNetError, hostPort, resolvePort } from './address.js';
import type { ProbeOptions, ProbeOutcome, ProbeTarget } from './types.js';

/** Bytes of body read at most; the rest is dropped (kubelet's maxRespBodyLength). */
export const MAX_BODY_BYTES = 10_240;
/** Go's client limit, kept by kubelet: a 10th redirect is an error ("stopped after 10 redirects"). */
export const MAX_REDIRECTS = 10;
export const DEFAULT_USER_AGENT_VERSION = '0.1';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface Deadline {
  expired: boolean;
  /** The request in flight, destroyed when the deadline passes. */
  request?: http.ClientRequest;
}

interface Answer {
  status: number;
  location?: string;
}

export async function probeHttp(
  action: HttpGetAction,
  target: ProbeTarget,
  timeoutMs: number,
  opts: ProbeOptions = {},
): Promise<ProbeOutcome> {
  const host = action.host || target.host;
  const port = resolvePort(action.port, target, opts);
  const scheme = action.scheme === 'HTTPS' ? 'https' : 'http';
  const rawPath = action.path || '/';
  const path = rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  let first: URL;
  try {
    first = new URL(`${scheme}://${hostPort(host, port)}${path}`);
  } catch {
    return { result: 'failure', message: `invalid probe URL ${scheme}://${hostPort(host, port)}${path}` };
  }
  const headers = buildHeaders(action.http_headers ?? [], opts.userAgentVersion ?? DEFAULT_USER_AGENT_VERSION);

  // One deadline for the whole attempt: connect, headers, body and every redirect.
  // (A plain timer destroying the open request costs less than an AbortSignal per request.)
  const deadline: Deadline = { expired: false };
  const timer = setTimeout(() => {
    deadline.expired = true;
    deadline.request?.destroy(new Error('probe timeout'));
  }, timeoutMs);
  let current = first;
  try {
    for (let requests = 1; ; requests++) {
      const answer = await get(current, sameHostHeaders(headers, first, current), deadline);
      if (!REDIRECT_STATUSES.has(answer.status) || !answer.location) return verdict(answer.status);
      let next: URL;
      try {
        next = new URL(answer.location, current);
      } catch {
        return { result: 'failure', message: `Get "${current}": failed to parse Location header "${answer.location}"` };
      }
      if (next.hostname !== first.hostname) {
        return {
          result: 'warning',
          message: `Probe terminated redirects: ${answer.status} from ${first.hostname} to another host (${next.href}) is not followed`,
        };
      }
      if (requests >= MAX_REDIRECTS) {
        return { result: 'failure', message: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` };
      }
      current = next;
    }
  } catch (err) {
    if (deadline.expired) {
      return { result: 'failure', message: `Get "${current.href}": timed out after ${timeoutMs} ms` };
    }
    return { result: 'failure', message: `Get "${current.href}": ${describeNetError(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

function verdict(status: number): ProbeOutcome {
  if (status >= 200 && status < 300)
    return { result: 'success', message: `HTTP probe succeeded with statuscode: ${status}` };
  // A 3xx that was not followed (no Location) is still healthy, as in kubelet.
  if (status >= 300 && status < 400)
    return { result: 'warning', message: `Probe terminated redirects, statuscode: ${status}` };
  return { result: 'failure', message: `HTTP probe failed with statuscode: ${status}` };
}

type Headers = Record<string, string | string[]>;

/**
 * Defaults `User-Agent: pier-probe/<version>` and `Accept: *\/*`; a user header of
 * the same name (any case) replaces the default, and an empty value removes it.
 * Other headers are sent as written, repeats included.
 */
export function buildHeaders(user: { name: string; value: string }[], version: string): Headers {
  const grouped = new Map<string, { name: string; values: string[] }>();
  for (const { name, value } of user) {
    const key = name.toLowerCase();
    const entry = grouped.get(key) ?? { name, values: [] };
    entry.values.push(value);
    grouped.set(key, entry);
  }
  const out: Headers = {};
  const defaults: [string, string][] = [
    ['User-Agent', `pier-probe/${version}`],
    ['Accept', '*/*'],
  ];
  for (const [name, value] of defaults) {
    const given = grouped.get(name.toLowerCase());
    grouped.delete(name.toLowerCase());
    if (!given) out[name] = value;
    else {
      const values = given.values.filter((v) => v !== '');
      if (values.length > 0) out[given.name] = values.length === 1 ? values[0] : values;
    }
  }
  for (const { name, values } of grouped.values()) {
    // Host cannot repeat; the first one wins.
    out[name] = values.length === 1 || name.toLowerCase() === 'host' ? values[0] : values;
  }
  return out;
}

/** Like Go's client, a user `Host` header survives a redirect only when host:port stays the same. */
function sameHostHeaders(headers: Headers, first: URL, current: URL): Headers {
  if (current.host === first.host) return headers;
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'host') out[name] = value;
  return out;
}

/** One GET on a fresh connection; resolves with the status once at most 10 KiB of body is read. */
function get(url: URL, headers: Headers, deadline: Deadline): Promise<Answer> {
  if (deadline.expired) return Promise.reject(new Error('probe timeout'));
  return new Promise<Answer>((resolve, reject) => {
    let done = false;
    const finish = (err: unknown, answer?: Answer) => {
      if (done) return;
      done = true;
      req.destroy();
      if (answer) resolve(answer);
      else reject(err);
    };
    const options = { method: 'GET', headers, agent: false as const };
    const req =
      url.protocol === 'https:'
        ? https.request(url, { ...options, rejectUnauthorized: false })
        : http.request(url, options);
    deadline.request = req;
    req.on('error', (err) => finish(err));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        finish(undefined, { status, location });
        return;
      }
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= MAX_BODY_BYTES) finish(undefined, { status }); // truncated: not an error
      });
      res.on('end', () => finish(undefined, { status }));
      res.on('error', (err) => finish(err));
      res.on('close', () => finish(new Error('connection closed while reading the body')));
    });
    req.end();
  });
}
