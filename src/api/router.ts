/**
 * A route table and a matcher: `{name}` in a pattern matches one path segment.
 * The table is data, so the OpenAPI test can compare it with the document.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ControlPlane } from './control-plane.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  control: ControlPlane;
  /** Reads and parses the JSON body (size-limited). */
  body(): Promise<unknown>;
  /** Aborts when the client goes away or the server closes. */
  signal: AbortSignal;
}

/** What a handler answers; `streamed` means it wrote the response itself; `empty` is a 204. */
export type Reply =
  | { status?: number; json: unknown }
  | { status?: number; text: string; contentType?: string }
  | { empty: true }
  | { streamed: true };

export interface Route {
  method: Method;
  /** OpenAPI-style template, e.g. `/api/v1/services/{name}`. */
  path: string;
  /** false only for /healthz and /metrics. */
  auth: boolean;
  handle(ctx: RouteContext): Promise<Reply> | Reply;
}

export type Match =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method'; allowed: Method[] }
  | { kind: 'none' };

export function matchRoute(routes: readonly Route[], method: string, pathname: string): Match {
  const segments = pathname.split('/');
  const allowed: Method[] = [];
  for (const route of routes) {
    const params = matchPath(route.path, segments);
    if (!params) continue;
    if (route.method === method) return { kind: 'found', route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
}

function matchPath(pattern: string, segments: string[]): Record<string, string> | null {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const seg = segments[i]!;
    if (part.startsWith('{') && part.endsWith('}')) {
      if (seg === '') return null;
      let decoded: string;
      try {
        decoded = decodeURIComponent(seg);
      } catch {
        return null;
      }
      params[part.slice(1, -1)] = decoded;
    } else if (part !== seg) {
      return null;
    }
  }
  return params;
}
