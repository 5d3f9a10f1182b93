/**
 * The control API on node:http: auth, routing, JSON bodies and errors. The
 * handlers (routes.ts) only translate to ControlPlane calls.
 */

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Clock, createRealClock } from '../clock.js';
import type { ServiceHistory } from '../history/index.js';
import { PierError, toPierError } from '../errors.js';
import { WWW_AUTHENTICATE, createTokenCheck } from './auth.js';
import type { ControlPlane } from './control-plane.js';
import { DEFAULT_BODY_LIMIT, readJsonBody } from './json-body.js';
import { type Reply, type Route, matchRoute } from './router.js';
import { createRoutes, type MetricsAuth } from './routes.js';
import { type AccessKey, DEFAULT_OPENAPI_ACCESS_KEY_ID } from './eas-openapi-auth.js';

export interface ApiServerOptions {
  control: ControlPlane;
  adminToken: string;
  registry?: Registry;
  /** The charts' history (GET /services/{name}/history); absent: that route answers 404. */
  history?: ServiceHistory;
  logger?: Logger;
  /** Largest accepted request body; default 1 MiB. */
  bodyLimitBytes?: number;
  /** Whether `/metrics` needs the admin token; default 'none' (see `metricsAuthFor`). */
  metricsAuth?: MetricsAuth;
  /** Interval of `{"heartbeat":true}` lines on endpoints/watch; default 10 s. */
  heartbeatMs?: number;
  /** How often `?watch=true` streams look for changes; default 500 ms. */
  watchPollMs?: number;
  clock?: Clock;
  /**
   * The AccessKey pair that EAS OpenAPI calls (the PAI SDK's DescribeService) are
   * signed with; default: id `pier`, secret the admin token (DEFAULT_OPENAPI_ACCESS_KEY_ID).
   */
  openApiKey?: AccessKey;
}

export interface ApiServer {
  server: Server;
  /** The route table, for tests and the OpenAPI check. */
  routes: readonly Route[];
  /** Resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Ends open streams and connections, then stops listening. Safe to call twice. */
  close(): Promise<void>;
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const bodyLimit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0) throw new TypeError('bodyLimitBytes must be a positive integer');
  const checkToken = createTokenCheck(opts.adminToken);
  const routes = createRoutes({
    clock: opts.clock ?? createRealClock(),
    heartbeatMs: opts.heartbeatMs ?? 10_000,
    ...(opts.watchPollMs ? { watchPollMs: opts.watchPollMs } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}),
    ...(opts.history ? { history: opts.history } : {}),
    ...(opts.metricsAuth ? { metricsAuth: opts.metricsAuth } : {}),
    openApiKey: opts.openApiKey ?? { accessKeyId: DEFAULT_OPENAPI_ACCESS_KEY_ID, accessKeySecret: opts.adminToken },
  });
  const open = new Set<AbortController>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://control');
    const match = matchRoute(routes, req.method ?? 'GET', url.pathname);
    const isPublic = match.kind === 'found' && !match.route.auth;
    if (!isPublic) {
      const auth = checkToken(req.headers);
      if (!auth.ok) {
        res.setHeader('www-authenticate', WWW_AUTHENTICATE);
        throw new PierError('UNAUTHORIZED', auth.message);
      }
    }
    if (match.kind === 'none') throw new PierError('ROUTE_NOT_FOUND', `no route for ${req.method} ${url.pathname}`);
    if (match.kind === 'method') {
      res.setHeader('allow', match.allowed.join(', '));
      throw new PierError('ROUTE_NOT_FOUND', `${req.method} is not allowed on ${url.pathname}`, {
        errors: [{ path: 'method', message: `allowed: ${match.allowed.join(', ')}` }],
      });
    }
    const abort = new AbortController();
    open.add(abort);
    res.on('close', () => {
      abort.abort();
      open.delete(abort);
    });
    const reply = await match.route.handle({
      req,
      res,
      params: match.params,
      query: url.searchParams,
      control: opts.control,
      body: () => readJsonBody(req, bodyLimit),
      signal: abort.signal,
    });
    send(res, reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const error = toPierError(err);
      if (error.code === 'INTERNAL') opts.logger?.error({ err, url: req.url }, 'control API handler failed');
      else opts.logger?.debug({ code: error.code, url: req.url }, error.message);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // The body may be unread (413, 401): do not keep a connection whose request is half consumed.
      if (!req.complete) res.setHeader('connection', 'close');
      const status = match405(res) ? 405 : error.httpStatus;
      sendJson(res, status, error.toJSON());
    });
  });

  let closing: Promise<void> | undefined;
  return {
    server,
    routes,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const abort of open) abort.abort();
        server.close(() => resolve());
        server.closeIdleConnections();
        setImmediate(() => server.closeAllConnections());
      });
      return closing;
    },
  };
}

/** A 405 is signalled by the Allow header set before the error was thrown. */
function match405(res: ServerResponse): boolean {
  return res.hasHeader('allow');
}

function send(res: ServerResponse, reply: Reply): void {
  if ('streamed' in reply) return;
  if ('empty' in reply) {
    res.writeHead(204, { 'cache-control': 'no-store' });
    res.end();
    return;
  }
  if ('json' in reply) {
    sendJson(res, reply.status ?? 200, reply.json);
    return;
  }
  res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8' });
  res.end(reply.text);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * The default of `--metrics-auth`: public on a loopback control address (only
 * this machine reaches it, as before), the admin token anywhere else (issue 12).
 */
export function metricsAuthFor(controlHost: string): MetricsAuth {
  const host = controlHost.replace(/^\[|\]$/g, '').toLowerCase();
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  return loopback ? 'none' : 'token';
}
