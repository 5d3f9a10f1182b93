import type { IncomingMessage } from 'node:http';
import { AUTH_FORMS, checkAnyToken, checkAuthorization, checkAuthorizationAny, type TokenSecret } from './auth.js';
import { type GatewayCore, secretOf } from './core.js';
import { groupOf } from './groups/handle.js';
import { resolveGroupTarget } from './groups/target.js';
import type { Route } from './route.js';
import type { GroupRoute, ServiceRoute } from './types.js';
import { hasValidCookie } from './webapp.js';

/**
 * Where a WebSocket (any `Upgrade`) goes, and whether it may: the HTTP rules for
 * one service, or for a group (the group token opens the group, a member's own
 * token only that member when pinned by `<group>.<service>` or `X-Pier-Service`).
 * `svc` is the service the attempt counts for, refused or not; `group` is set for
 * a call through a group endpoint (its metrics and log line name it).
 */
export type UpgradeTarget =
  | { kind: 'refuse'; status: number; text: string; challenge: boolean; svc?: ServiceRoute; group?: string }
  | { kind: 'serve'; svc: ServiceRoute; group?: string; affinity?: string };

const UNAUTHORIZED = `Unauthorized; ${AUTH_FORMS}`;

export function upgradeTarget(core: GatewayCore, req: IncomingMessage, route: Route | undefined): UpgradeTarget {
  const group = route?.kind === 'predict' ? groupOf(core, route) : undefined;
  if (route && group) return groupUpgrade(core, req, route, group);
  const named = route && route.kind !== 'discovery' && route.member === undefined;
  const svc = named ? core.snapshot.services[route.service] : undefined;
  if (route && route.kind !== 'discovery' && !svc) {
    // As for HTTP: without some service's (or group's) token, an unknown name looks like a known one.
    const known = checkAnyToken(req.headers, everySecret(core));
    if (known !== 'ok') return { kind: 'refuse', status: 401, text: UNAUTHORIZED, challenge: known === 'missing' };
  }
  if (!route || !svc || (route.kind === 'web' && !svc.enableWebservice)) {
    return { kind: 'refuse', status: 404, text: 'Not Found', challenge: false };
  }
  const cookieOk = route.kind === 'web' && hasValidCookie(req.headers, svc.name, svc.token);
  const verdict = cookieOk ? 'ok' : checkAuthorization(req, route, secretOf(core, svc), core.eas).kind;
  if (verdict !== 'ok')
    return { kind: 'refuse', status: 401, text: UNAUTHORIZED, challenge: verdict === 'missing', svc };
  return { kind: 'serve', svc };
}

function groupUpgrade(core: GatewayCore, req: IncomingMessage, route: Route, group: GroupRoute): UpgradeTarget {
  const target = resolveGroupTarget(group, core.snapshot.services, route.member, req.headers, core.proxy.random);
  const member = target.kind === 'member' ? target.svc : undefined;
  const secrets = [secretOf(core, group)];
  if (member && target.kind === 'member' && target.pinned) secrets.push(secretOf(core, member));
  const on = { group: group.name, ...(member ? { svc: member } : {}) };
  const verdict = checkAuthorizationAny(req, route, secrets, core.eas).kind;
  if (verdict !== 'ok') {
    return { kind: 'refuse', status: 401, text: UNAUTHORIZED, challenge: verdict === 'missing', ...on };
  }
  if (target.kind === 'not-member') {
    const text = `Not Found; service "${target.member}" is not in group "${group.name}"`;
    return { kind: 'refuse', status: 404, text, challenge: false, ...on };
  }
  if (target.kind === 'unavailable' || !member) {
    const text = `Service Unavailable; no healthy upstream for group "${group.name}"`;
    return { kind: 'refuse', status: 503, text, challenge: false, ...on };
  }
  return target.key === undefined
    ? { kind: 'serve', svc: member, group: group.name }
    : { kind: 'serve', svc: member, group: group.name, affinity: target.key };
}

function everySecret(core: GatewayCore): TokenSecret[] {
  const secrets = Object.values(core.snapshot.services).map((s) => secretOf(core, s));
  for (const g of Object.values(core.snapshot.groups ?? {})) secrets.push(secretOf(core, g));
  return secrets;
}
