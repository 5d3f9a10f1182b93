/**
 * The control API's route table. Each handler translates HTTP into one
 * ControlPlane call and back; nothing here decides anything.
 */

import type { Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { ServiceHistory } from '../history/index.js';
import { PierError } from '../errors.js';
import type { GroupTrafficRequest, ModifyRequest } from './control-plane.js';
import type { AccessKey } from './eas-openapi-auth.js';
import { createEasOpenApiRoutes } from './eas-openapi.js';
import { parseEndpointAck, parseGatewayStats } from './endpoint-ack.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { flagQuery, intField, intQuery, objectBody } from './params.js';
import type { Route, RouteContext } from './router.js';
import { followLogs, watchEndpoints } from './streams.js';
import { watchEvents, watchSnapshots } from './watch.js';
import { loadConsoleFiles, serveConsoleFile } from '../console/serve.js';

export const API_PREFIX = '/api/v1';

/** Who may read `/metrics`: everyone, or callers with the admin token. */
export type MetricsAuth = 'token' | 'none';

export interface RouteDeps {
  registry?: Registry;
  history?: ServiceHistory;
  /** Default 'none'; `startPier` asks for 'token' when the control port is not on loopback. */
  metricsAuth?: MetricsAuth;
  clock: Clock;
  heartbeatMs: number;
  /** How often `?watch=true` streams look for changes; default 500 ms. */
  watchPollMs?: number;
  /** The AccessKey pair that signs EAS OpenAPI calls (eas-openapi.ts); absent: no `/api/v2` routes. */
  openApiKey?: AccessKey;
}

const svc = (ctx: RouteContext) => ctx.params.name!;

export function createRoutes(deps: RouteDeps): Route[] {
  const watch = { clock: deps.clock, pollMs: deps.watchPollMs ?? 500 };
  const consoleFiles = loadConsoleFiles();
  const watching = (ctx: RouteContext) => flagQuery(ctx.query, 'watch');
  const v1 = (method: Route['method'], path: string, handle: Route['handle']): Route => ({
    method,
    path: `${API_PREFIX}${path}`,
    auth: true,
    handle,
  });
  return [
    { method: 'GET', path: '/healthz', auth: false, handle: () => ({ json: { ok: true } }) },
    // The console's page and files: public, they carry no data (src/console/serve.ts).
    { method: 'GET', path: '/', auth: false, handle: (ctx) => serveConsoleFile(ctx, consoleFiles, 'index.html') },
    {
      method: 'GET',
      path: '/console/{file}',
      auth: false,
      handle: (ctx) => serveConsoleFile(ctx, consoleFiles, ctx.params.file!),
    },
    {
      method: 'GET',
      path: '/metrics',
      // Metrics name every service and its traffic: off loopback they need the token.
      auth: deps.metricsAuth === 'token',
      handle: async () => {
        if (!deps.registry) throw new PierError('ROUTE_NOT_FOUND', 'metrics are not enabled on this server');
        return { text: await deps.registry.metrics(), contentType: deps.registry.contentType };
      },
    },
    v1('GET', '/openapi.json', () => ({ json: OPENAPI_DOCUMENT })),
    v1('POST', '/validate', async (ctx) => ({ json: ctx.control.validate(await ctx.body()) })),
    v1('GET', '/services', (ctx) =>
      watching(ctx) ? watchSnapshots(ctx, watch, () => ctx.control.list()) : { json: ctx.control.list() },
    ),
    v1('POST', '/services', async (ctx) => ({ status: 201, json: await ctx.control.create(await ctx.body()) })),
    v1('GET', '/services/{name}', (ctx) => ({ json: ctx.control.describe(svc(ctx)) })),
    v1('PATCH', '/services/{name}', async (ctx) => {
      const body = objectBody(await ctx.body(), 'a modify request');
      const req: ModifyRequest = {};
      if (body.patch !== undefined) req.patch = body.patch;
      if (body.replace !== undefined) req.replace = body.replace;
      if (body.set !== undefined) req.set = objectBody(body.set, '"set"');
      if (body.traffic !== undefined) req.traffic = body.traffic as number; // checked by the control plane
      if (req.patch === undefined && req.replace === undefined && req.set === undefined) {
        throw new PierError('BAD_REQUEST', 'a modify request needs at least one of "patch", "replace" or "set"');
      }
      return { json: await ctx.control.modify(svc(ctx), req) };
    }),
    v1('DELETE', '/services/{name}', async (ctx) => {
      await ctx.control.delete(svc(ctx));
      return { json: { deleted: svc(ctx) } };
    }),
    v1('POST', '/services/{name}/stop', async (ctx) => ({ json: await ctx.control.stop(svc(ctx)) })),
    v1('POST', '/services/{name}/start', async (ctx) => ({ json: await ctx.control.start(svc(ctx)) })),
    v1('POST', '/services/{name}/scale', async (ctx) => {
      const instances = intField(await ctx.body(), 'instances', 0);
      return { json: await ctx.control.scale(svc(ctx), instances) };
    }),
    v1('GET', '/services/{name}/revisions', (ctx) => ({ json: ctx.control.revisions(svc(ctx)) })),
    v1('POST', '/services/{name}/rollback', async (ctx) => {
      const revision = intField(await ctx.body(), 'revision', 1);
      return { json: await ctx.control.rollback(svc(ctx), revision) };
    }),
    v1('PATCH', '/services/{name}/traffic', async (ctx) => {
      const body = objectBody(await ctx.body(), 'a traffic split');
      const traffic = objectBody(body.traffic, '"traffic" (revision → percent, e.g. {"2": 50, "3": 50})');
      return { json: ctx.control.setTraffic(svc(ctx), traffic) };
    }),
    v1('POST', '/services/{name}/promote', async (ctx) => {
      const revision = intField(await ctx.body(), 'revision', 1);
      return { json: ctx.control.promote(svc(ctx), revision) };
    }),
    v1('POST', '/services/{name}/restart', async (ctx) => {
      const body = objectBody((await ctx.body()) ?? {}, 'a restart request');
      if (body.instance !== undefined && typeof body.instance !== 'string') {
        throw new PierError('BAD_REQUEST', '"instance" must be an instance id', {
          errors: [{ path: 'instance', message: 'must be a string such as the ids "pier w NAME" shows' }],
        });
      }
      return { json: await ctx.control.restart(svc(ctx), body.instance as string | undefined) };
    }),
    v1('GET', '/services/{name}/diff', (ctx) => {
      const from = intQuery(ctx.query, 'from', 1);
      const to = intQuery(ctx.query, 'to', 1);
      if (from === undefined || to === undefined) {
        throw new PierError('BAD_REQUEST', 'diff needs ?from=A&to=B (revision numbers)');
      }
      return { json: ctx.control.diff(svc(ctx), from, to) };
    }),
    v1('POST', '/services/{name}/activate', (ctx) => {
      ctx.control.activate(svc(ctx));
      return { empty: true };
    }),
    v1('GET', '/services/{name}/history', (ctx) => {
      ctx.control.describe(svc(ctx)); // 404 for an unknown service
      if (!deps.history) throw new PierError('ROUTE_NOT_FOUND', 'history is not kept by this server');
      return { json: deps.history.read(svc(ctx)) };
    }),
    v1('GET', '/services/{name}/instances', (ctx) =>
      watching(ctx)
        ? watchSnapshots(ctx, watch, () => ctx.control.instances(svc(ctx)))
        : { json: ctx.control.instances(svc(ctx)) },
    ),
    v1('GET', '/services/{name}/queue', (ctx) => ({ json: ctx.control.queue(svc(ctx)) })),
    v1('GET', '/services/{name}/events', (ctx) => {
      const sinceId = intQuery(ctx.query, 'sinceId', 0);
      const limit = intQuery(ctx.query, 'limit', 1);
      const query: { sinceId?: number; limit?: number } = {};
      if (sinceId !== undefined) query.sinceId = sinceId;
      if (limit !== undefined) query.limit = limit;
      const list = ctx.control.events(svc(ctx), query);
      return watching(ctx) ? watchEvents(ctx, watch, svc(ctx), list) : { json: list };
    }),
    v1('GET', '/services/{name}/logs', async (ctx) => {
      const instance = ctx.query.get('instance') || undefined;
      const tail = intQuery(ctx.query, 'tail', 0);
      const query = { ...(instance ? { instance } : {}), ...(tail !== undefined ? { tail } : {}) };
      if (flagQuery(ctx.query, 'follow')) return followLogs(ctx, svc(ctx), query);
      return { text: await ctx.control.logs(svc(ctx), query), contentType: 'text/plain; charset=utf-8' };
    }),
    v1('GET', '/groups', (ctx) => ({ json: ctx.control.groups() })),
    v1('GET', '/groups/{name}', (ctx) => ({ json: ctx.control.group(ctx.params.name!) })),
    v1('PATCH', '/groups/{name}/traffic', async (ctx) => {
      const body = objectBody(await ctx.body(), 'a traffic change');
      return { json: ctx.control.setGroupTraffic(ctx.params.name!, trafficRequest(body)) };
    }),
    v1('GET', '/endpoints/watch', (ctx) => watchEndpoints(ctx, deps.clock, deps.heartbeatMs)),
    v1('POST', '/endpoints/ack', async (ctx) => {
      ctx.control.ackEndpoints(parseEndpointAck(await ctx.body()));
      return { empty: true };
    }),
    v1('POST', '/gateways/stats', async (ctx) => {
      ctx.control.reportGatewayStats(parseGatewayStats(await ctx.body()));
      return { empty: true };
    }),
    // The EAS OpenAPI's DescribeService, for the PAI SDK (docs/pai-sdk.md).
    ...(deps.openApiKey ? createEasOpenApiRoutes({ key: deps.openApiKey, clock: deps.clock }) : []),
  ];
}

/** The shape of a traffic change; values are checked by the control plane (with paths). */
function trafficRequest(body: Record<string, unknown>): GroupTrafficRequest {
  const req: GroupTrafficRequest = {};
  if (body.mode !== undefined) req.mode = body.mode as GroupTrafficRequest['mode'];
  if (body.weights !== undefined) req.weights = objectBody(body.weights, '"weights"') as Record<string, number>;
  if (body.standalone !== undefined) {
    req.standalone = objectBody(body.standalone, '"standalone"') as Record<string, boolean>;
  }
  if (body.affinity !== undefined) req.affinity = body.affinity as GroupTrafficRequest['affinity'];
  return req;
}
