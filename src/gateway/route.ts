/**
 * Splits a request target into what the gateway routes on. The service name must
 * be `[A-Za-z][A-Za-z0-9_]*` as written (no percent-decoding), or two such names
 * joined by one dot (`<group>.<service>`), so `..`, `%2F`,
 * `%5C` or any escape attempt is simply an unknown route (404), as is any path
 * containing a backslash.
 *
 * Forwarding choice (see README.md): the instance receives only the sub-path after
 * `/api/predict/<service>` (or `/web/<service>`), `/` when absent, plus the query.
 */

export type RouteKind = 'predict' | 'web' | 'discovery';

export interface Route {
  kind: RouteKind;
  service: string;
  /** Path to forward, always starting with `/`, dot segments removed. */
  subPath: string;
  /** Raw query without `?`, '' when absent. */
  query: string;
  /** The prefix the client used, e.g. `/api/predict/echo` (used for signed resources). */
  prefix: string;
  /** The sub-path exactly as the client sent it ('' when absent), for signed resources. */
  rawSubPath: string;
  /**
   * `/api/predict/<group>.<service>`: `service` is then the group and this the
   * member it pins (EAS addresses a service of a group that way).
   */
  member?: string;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const PREDICT = '/api/predict/';
const WEB = '/web/';
const DISCOVERY = ['/api/v1/servicediscovery/upstreams/', '/exported/apis/eas.alibaba-inc.k8s.io/v1/upstreams/'];

export function parseRoute(url: string): Route | undefined {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  // A backslash is no separator in a URL path (RFC 3986 §3.3), but some servers and
  // WHATWG parsers read it as `/`: a path with one is no route at all, so it can
  // neither be read as another service nor reach an instance that would reread it.
  if (rawPath.includes('\\')) return undefined;
  const path = needsNormalising(rawPath) ? normalisePath(rawPath) : rawPath;
  if (path.startsWith(PREDICT)) return split('predict', path, PREDICT.length, query, rawPath);
  if (path.startsWith(WEB)) return split('web', path, WEB.length, query, rawPath);
  for (const prefix of DISCOVERY) {
    if (path.startsWith(prefix)) {
      const service = path.slice(prefix.length);
      return NAME.test(service)
        ? { kind: 'discovery', service, subPath: '/', query, prefix: path, rawSubPath: '' }
        : undefined;
    }
  }
  return undefined;
}

function split(kind: RouteKind, path: string, start: number, query: string, rawPath: string): Route | undefined {
  const slash = path.indexOf('/', start);
  const segment = slash === -1 ? path.slice(start) : path.slice(start, slash);
  const dot = segment.indexOf('.');
  const service = dot === -1 ? segment : segment.slice(0, dot);
  const member = dot === -1 ? undefined : segment.slice(dot + 1);
  if (!NAME.test(service) || (member !== undefined && !NAME.test(member))) return undefined;
  const prefix = path.slice(0, start) + segment;
  const subPath = slash === -1 ? '/' : path.slice(slash);
  const rawSubPath = rawPath.startsWith(prefix) ? rawPath.slice(prefix.length) : subPath;
  return member === undefined
    ? { kind, service, subPath, query, prefix, rawSubPath }
    : { kind, service, subPath, query, prefix, rawSubPath, member };
}

function needsNormalising(path: string): boolean {
  return path.includes('/.') || path.includes('%2e') || path.includes('%2E');
}

/** RFC 3986 dot-segment removal; `%2e` counts as `.`; never climbs above `/`. */
export function normalisePath(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const dots = seg.replace(/%2e/gi, '.');
    const last = i === segments.length - 1;
    if (dots === '.') {
      if (last) out.push('');
    } else if (dots === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(seg);
    }
  }
  return '/' + out.join('/');
}
