import type { IncomingHttpHeaders } from 'node:http';
import type { GroupRoute, ServiceRoute } from '../types.js';
import { affinityKey } from './affinity.js';
import { groupShares, pickByKey, pickWeighted } from './pick.js';

/** The header that pins a member of a group (to try a canary before it takes traffic). */
export const MEMBER_HEADER = 'x-pier-service';

export type GroupTarget =
  /** `key`: the affinity value, so the member's instance is picked by it too. */
  | { kind: 'member'; svc: ServiceRoute; pinned: boolean; key?: string }
  /** A pinned name that is no member of the group. */
  | { kind: 'not-member'; member: string }
  /** No member has a ready instance (or every one is standalone or weighs 0). */
  | { kind: 'unavailable' };

/**
 * Where one request to a group endpoint goes: the member pinned by
 * `<group>.<service>` or the header, else one picked by affinity key or by
 * weight. Pure: the snapshot, the request's headers and the random source in.
 */
export function resolveGroupTarget(
  group: GroupRoute,
  services: Readonly<Record<string, ServiceRoute>>,
  pathMember: string | undefined,
  headers: IncomingHttpHeaders,
  random: () => number,
): GroupTarget {
  const header = headers[MEMBER_HEADER];
  const pinned = pathMember ?? (typeof header === 'string' && header !== '' ? header : undefined);
  return pickGroupTarget(group, services, pinned, affinityKey(headers, group.affinity), random);
}

/**
 * The same choice once the caller has read the pinned name and the affinity key
 * (gRPC names its target in the metadata entry HTTP pins with, so it reads them
 * its own way).
 */
export function pickGroupTarget(
  group: GroupRoute,
  services: Readonly<Record<string, ServiceRoute>>,
  pinned: string | undefined,
  key: string | undefined,
  random: () => number,
): GroupTarget {
  if (pinned !== undefined) {
    const svc = group.members.some((m) => m.service === pinned) ? services[pinned] : undefined;
    if (!svc) return { kind: 'not-member', member: pinned };
    return key === undefined ? { kind: 'member', svc, pinned: true } : { kind: 'member', svc, pinned: true, key };
  }
  let shares = groupShares(group, services);
  if (!shares.some((s) => s.weight > 0)) shares = wakeShares(group, services);
  const name = key === undefined ? pickWeighted(shares, random) : pickByKey(shares, key);
  const svc = name === undefined ? undefined : services[name];
  if (!svc) return { kind: 'unavailable' };
  return key === undefined ? { kind: 'member', svc, pinned: false } : { kind: 'member', svc, pinned: false, key };
}

/**
 * With no member ready, members that scale from zero (`activate`) share the call,
 * so it wakes one (the activator holds it until an instance is ready) instead of a
 * 503: by weight in `custom` mode, equally in `auto` mode (no instance counts yet).
 */
function wakeShares(group: GroupRoute, services: Readonly<Record<string, ServiceRoute>>) {
  return group.members.map((m) => {
    const wakes = !m.standalone && services[m.service]?.activate === true;
    return { service: m.service, weight: wakes ? (group.mode === 'auto' ? 1 : m.weight) : 0 };
  });
}
