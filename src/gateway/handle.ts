import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_FORMS, type AuthVerdict, checkAnyToken, checkAuthorization, tokenMatches } from './auth.js';
import { type GatewayCore, type MetricsEndpoint, countRequest, recordDone, secretOf } from './core.js';
import { groupOf, handleGroup, type Serve } from './groups/handle.js';
import { ProxyCall, upstreamHeaders } from './proxy.js';
import { type Finish, RequestLog, refused, replyError } from './request-log.js';
import { discoveryWithoutToken } from './discovery.js';
import { asyncElsewhere, sendError, sendJson } from './respond.js';
import { readSignedBody, SpooledBody } from './signed-body.js';
import { parseRoute, type Route } from './route.js';
import type { ServiceRoute } from './types.js';
import { hasValidCookie, setCookieHeader, takeToken } from './webapp.js';

/** The HTTP pipeline: route → service → auth → (discovery | limits → proxy). */
export function handleRequest(core: GatewayCore, req: IncomingMessage, res: ServerResponse): void {
  const startedNs = process.hrtime.bigint();
  if (core.metricsEndpoint && req.url === '/metrics') {
    serveMetrics(core.metricsEndpoint, req, res);
    return;
  }
  const route = parseRoute(req.url ?? '/');
  const group = route?.kind === 'predict' ? groupOf(core, route) : undefined;
  if (group) {
    handleGroup(core, req, res, route!, group, startedNs, serve);
    return;
  }
  const svc = route && route.member === undefined ? core.snapshot.services[route.service] : undefined;
  if (route?.kind === 'discovery' && answerOpenDiscovery(core, req, res, route, svc, startedNs)) return;
  if (route && !svc && unknownUnauthorized(core, req, res, startedNs)) return;
  if (!route || !svc || (route.kind === 'web' && !svc.enableWebservice)) {
    const what = route ? `service "${route.service}" not found` : 'no such route; use /api/predict/<service>/...';
    sendError(req, res, 404, route ? 'SERVICE_NOT_FOUND' : 'ROUTE_NOT_FOUND', what);
    res.once('close', () => log(core, req, '', '', 404, startedNs));
    return;
  }
  const entry = new RequestLog(core, req.method ?? 'GET', svc.name, countRequest(core, svc.name), startedNs);
  // No per-request closures on the way to the proxy (tsx wraps each one in __name):
  // the error answers below go through module-level functions.
  if (route.kind === 'web' && !webAuthorized(core, req, res, svc, route, entry.finisher())) return;
  const verdict: AuthVerdict =
    route.kind === 'web' ? { kind: 'ok' } : checkAuthorization(req, route, secretOf(core, svc), core.eas);
  if (refused(req, res, entry, verdict)) return;
  serve(core, req, res, svc, route, verdict, entry, undefined);
}

/** An authenticated call to one service: discovery, rate limit, queue, body checks, then the proxy. */
const serve: Serve = (core, req, res, svc, route, verdict, entry, affinity) => {
  if (route.kind === 'discovery') {
    res.once('close', () => entry.finish('', 200, 0, 0));
    sendJson(req, res, 200, upstreamsOf(svc));
    return;
  }
  const rate = svc.rpc.rate_limit;
  // No clock read for a service without a rate limit (most of them).
  if (rate !== undefined && !core.limiter.allow(svc.name, rate, core.clock.now())) {
    core.metrics.count(svc.name, 'rate_limited');
    replyError(
      req,
      res,
      entry,
      429,
      'RATE_LIMITED',
      `more than rpc.rate_limit (${svc.rpc.rate_limit}) requests per second`,
    );
    return;
  }
  if (svc.queue) {
    answerQueue(core, req, res, svc, route, verdict, entry.finisher());
    return;
  }
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > core.maxBodyBytes) {
    replyError(req, res, entry, 413, 'BODY_TOO_LARGE', `request body is larger than ${core.maxBodyBytes} bytes`, {
      connection: 'close',
    });
    return;
  }
  if (verdict.kind === 'verify-body') {
    const read = { contentMd5: verdict.contentMd5, maxBytes: core.maxBodyBytes, memoryBytes: core.proxy.replayLimit };
    readSignedBody(req, { ...read, spool: core.spool }).then(
      (result) => {
        if (result.kind === 'too-large') {
          replyError(req, res, entry, 413, 'BODY_TOO_LARGE', `request body is larger than ${core.maxBodyBytes} bytes`, {
            connection: 'close',
          });
          return;
        }
        if (result.kind === 'mismatch') {
          replyError(req, res, entry, 401, 'UNAUTHORIZED', 'Content-MD5 does not match the body');
          return;
        }
        const { body } = result;
        if (body instanceof SpooledBody) res.once('close', () => body.dispose());
        if (res.destroyed) return;
        forward(core, req, res, svc, route, body, entry, affinity);
      },
      () => entry.finish('', 499, 0, 0),
    );
    return;
  }
  forward(core, req, res, svc, route, undefined, entry, affinity);
};

/**
 * An async service's call goes to its queues (src/queue). Queue clients send the
 * raw token (no `EAS` signature), so a signed body is not verified here: it is refused.
 */
function answerQueue(
  core: GatewayCore,
  req: IncomingMessage,
  res: ServerResponse,
  svc: ServiceRoute,
  route: Route,
  verdict: AuthVerdict,
  finish: Finish,
): void {
  const fail = (status: number, code: string, message: string) => {
    res.once('close', () => finish('', status, 0, 0));
    sendError(req, res, status, code, message);
  };
  if (verdict.kind === 'verify-body') {
    fail(401, 'UNAUTHORIZED', 'queue calls take the raw token (Authorization: <token>), not an EAS signature');
    return;
  }
  if (!core.queues) {
    fail(503, 'UNAVAILABLE', asyncElsewhere(svc.name));
    return;
  }
  res.once('close', () => finish('', res.statusCode, 0, 0));
  core.queues.handle(svc, route.subPath, route.query, req, res);
}

/** The SDKs' direct-mode answer: ready instances only. */
function upstreamsOf(svc: ServiceRoute) {
  return { endpoints: { items: svc.endpoints.map((e) => ({ ip: e.host, port: e.port, weight: 100 })) } };
}

/**
 * Discovery that needs no token (`--discovery open|private`, see discovery.ts), and
 * `off`. Returns false when the request must go through authentication instead.
 */
function answerOpenDiscovery(
  core: GatewayCore,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  svc: ServiceRoute | undefined,
  startedNs: bigint,
): boolean {
  const mode = core.discovery.mode;
  if (mode !== 'off' && !discoveryWithoutToken(mode, req.socket.remoteAddress, core.discovery.networks)) return false;
  const status = mode === 'off' || !svc ? 404 : 200;
  res.once('close', () => log(core, req, svc?.name ?? '', '', status, startedNs));
  if (mode === 'off') sendError(req, res, 404, 'ROUTE_NOT_FOUND', 'service discovery is turned off (--discovery off)');
  else if (!svc) sendError(req, res, 404, 'SERVICE_NOT_FOUND', `service "${route.service}" not found`);
  else sendJson(req, res, 200, upstreamsOf(svc));
  return true;
}

function forward(
  core: GatewayCore,
  req: IncomingMessage,
  res: ServerResponse,
  svc: ServiceRoute,
  route: Route,
  body: Buffer | SpooledBody | undefined,
  entry: RequestLog,
  affinity: string | undefined,
): void {
  const call = new ProxyCall(core.proxy, req, res, svc, route, upstreamHeaders(req), body, entry);
  call.affinity = affinity;
  call.start();
}

/**
 * `/web/<name>/?token=…` sets the cookie and redirects without the token; other
 * web requests pass with the cookie or fall through to header authentication.
 * Returns false when it has answered.
 */
function webAuthorized(
  core: GatewayCore,
  req: IncomingMessage,
  res: ServerResponse,
  svc: ServiceRoute,
  route: Route,
  finish: Finish,
): boolean {
  const redirect = (location: string, cookie?: string) => {
    res.once('close', () => finish('', 302, 0, 0));
    res.writeHead(302, cookie ? { location, 'set-cookie': cookie } : { location });
    res.end();
    return false;
  };
  if (route.rawSubPath === '') {
    return redirect(route.prefix + '/' + (route.query === '' ? '' : '?' + route.query));
  }
  const { token, rest } = takeToken(route.query);
  if (token !== undefined) {
    if (!tokenMatches(token, secretOf(core, svc))) {
      res.once('close', () => finish('', 401, 0, 0));
      sendError(req, res, 401, 'UNAUTHORIZED', 'wrong token');
      return false;
    }
    return redirect(
      route.prefix + route.rawSubPath + (rest === '' ? '' : '?' + rest),
      setCookieHeader(svc.name, svc.token),
    );
  }
  if (hasValidCookie(req.headers, svc.name, svc.token)) return true;
  const verdict = checkAuthorization(req, route, secretOf(core, svc), core.eas);
  if (verdict.kind === 'ok') return true;
  res.once('close', () => finish('', 401, 0, 0));
  sendError(req, res, 401, 'UNAUTHORIZED', `open /web/${svc.name}/?token=<token> first, or send Authorization`, {
    'www-authenticate': 'Bearer realm="pier"',
  });
  return false;
}

function log(core: GatewayCore, req: IncomingMessage, service: string, instance: string, status: number, ns: bigint) {
  recordDone(core, { method: req.method ?? 'GET', service, instance, status, startedNs: ns, bytesIn: 0, bytesOut: 0 });
}

/**
 * A name that is no service answers exactly like a known one without a valid
 * credential (401, or 400 for a malformed header), so only a caller holding some
 * service's token learns which names exist (the 404). Returns true when answered.
 */
function unknownUnauthorized(core: GatewayCore, req: IncomingMessage, res: ServerResponse, startedNs: bigint): boolean {
  const secrets = Object.values(core.snapshot.services).map((s) => secretOf(core, s));
  for (const g of Object.values(core.snapshot.groups ?? {})) secrets.push(secretOf(core, g));
  const verdict = checkAnyToken(req.headers, secrets);
  if (verdict === 'ok') return false;
  res.once('close', () => log(core, req, '', '', verdict === 'malformed' ? 400 : 401, startedNs));
  if (verdict === 'malformed') sendError(req, res, 400, 'BAD_REQUEST', `malformed Authorization header; ${AUTH_FORMS}`);
  else {
    const message = verdict === 'missing' ? `missing Authorization header; ${AUTH_FORMS}` : 'wrong token or signature';
    sendError(req, res, 401, 'UNAUTHORIZED', message, { 'www-authenticate': 'Bearer realm="pier"' });
  }
  return true;
}

/** A standalone gateway's own series, for a Prometheus that scrapes each gateway (with the admin token). */
function serveMetrics(endpoint: MetricsEndpoint, req: IncomingMessage, res: ServerResponse): void {
  if (!endpoint.authorized(req)) {
    sendError(req, res, 401, 'UNAUTHORIZED', "the gateway's /metrics needs the admin token", {
      'www-authenticate': 'Bearer realm="pier-gateway-metrics"',
    });
    return;
  }
  endpoint.registry.metrics().then(
    (text) => {
      res.writeHead(200, { 'content-type': endpoint.registry.contentType, 'cache-control': 'no-store' });
      res.end(text);
    },
    (err: unknown) => sendError(req, res, 500, 'INTERNAL', `metrics failed: ${String(err)}`),
  );
}
