import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AuthVerdict, checkAuthorizationAny } from '../auth.js';
import { type GatewayCore, countRequest, secretOf } from '../core.js';
import { RequestLog, refused, replyError } from '../request-log.js';
import type { Route } from '../route.js';
import type { GroupRoute, ServiceRoute } from '../types.js';
import { resolveGroupTarget } from './target.js';

/** How handle.ts goes on with an authenticated call to one service (passed in: no import cycle). */
export type Serve = (
  core: GatewayCore,
  req: IncomingMessage,
  res: ServerResponse,
  svc: ServiceRoute,
  route: Route,
  verdict: AuthVerdict,
  entry: RequestLog,
  affinity: string | undefined,
) => void;

/** The group a predict route names: `<group>` when no service has that name, or `<group>.<member>`. */
export function groupOf(core: GatewayCore, route: Route): GroupRoute | undefined {
  const groups = core.snapshot.groups;
  if (groups === undefined) return undefined;
  if (route.member === undefined && core.snapshot.services[route.service] !== undefined) return undefined;
  return groups[route.service];
}

/**
 * A call to a group endpoint: pick the member (pinned, sticky or by weight), check
 * the group token (or, for a pinned member, its own), then serve it as a call to
 * that member. The pick reads the snapshot once, so a weight change never touches
 * a request already on its way.
 */
export function handleGroup(
  core: GatewayCore,
  req: IncomingMessage,
  res: ServerResponse,
  route: Route,
  group: GroupRoute,
  startedNs: bigint,
  serve: Serve,
): void {
  const target = resolveGroupTarget(group, core.snapshot.services, route.member, req.headers, core.proxy.random);
  const member = target.kind === 'member' ? target.svc : undefined;
  const secrets = [secretOf(core, group)];
  if (member && target.kind === 'member' && target.pinned) secrets.push(secretOf(core, member));
  const method = req.method ?? 'GET';
  const entry = member
    ? new RequestLog(core, method, member.name, countRequest(core, member.name), startedNs, group.name)
    : new RequestLog(core, method, '', { inflight: 0 }, startedNs, group.name);
  const verdict = checkAuthorizationAny(req, route, secrets, core.eas);
  if (refused(req, res, entry, verdict)) return;
  if (target.kind === 'not-member') {
    replyError(req, res, entry, 404, 'SERVICE_NOT_FOUND', `service "${target.member}" is not in group "${group.name}"`);
    return;
  }
  if (target.kind === 'unavailable' || !member) {
    // The words the PAI SDK waits on, as for a service without a ready instance.
    replyError(req, res, entry, 503, 'UNAVAILABLE', `no healthy upstream for group "${group.name}"`);
    return;
  }
  serve(core, req, res, member, route, verdict, entry, target.key);
}
