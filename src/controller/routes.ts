/**
 * What the gateways are told about one service: a pure function of the stored
 * service, its current revision and its ready instances' endpoints.
 */

import type { Endpoint, GroupRoute, ServiceRoute } from '../gateway/index.js';
import type { ServiceSpec } from '../spec/index.js';
import { DEFAULT_GROUP_WEIGHT, type GroupRecord, type ServiceRecord, type TrafficTarget } from '../store/index.js';
import { asyncRoute } from '../queue/index.js';

/** `traffic`: the service's split between revisions, when it has one (store/traffic.ts). */
export function serviceRoute(
  svc: ServiceRecord,
  spec: ServiceSpec,
  endpoints: Endpoint[],
  traffic?: readonly TrafficTarget[],
): ServiceRoute {
  const rpc = spec.metadata.rpc;
  const queue = asyncRoute(spec);
  return {
    name: svc.name,
    token: svc.token,
    endpoints: [...endpoints].sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
    stopped: svc.stopped || svc.desiredInstances === 0,
    rpc: {
      keepalive: rpc.keepalive,
      worker_threads: rpc.worker_threads,
      max_queue_size: rpc.max_queue_size,
      ...(rpc.rate_limit !== undefined ? { rate_limit: rpc.rate_limit } : {}),
    },
    enableGrpc: spec.metadata.enable_grpc,
    enableWebservice: spec.metadata.enable_webservice,
    // Scaled to zero on purpose: the gateway holds requests while instances start.
    activate: spec.autoscaler?.min === 0 && !svc.stopped,
    ...(queue ? { queue } : {}),
    ...(traffic && traffic.length > 0
      ? { traffic: traffic.map((t) => ({ revision: t.revision, percent: t.percent })) }
      : {}),
  };
}

/** Group → its member services (sorted), from each service's `metadata.group`. */
export function groupMembership(
  services: Iterable<{ name: string; group?: string | undefined }>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of services) {
    if (s.group === undefined) continue;
    const list = out.get(s.group) ?? [];
    list.push(s.name);
    out.set(s.group, list);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/**
 * What the gateways are told about each group: its token, mode, affinity and
 * members with their stored weights (the default for a member without one).
 */
export function groupRoutes(
  groups: readonly GroupRecord[],
  membership: ReadonlyMap<string, readonly string[]>,
): Record<string, GroupRoute> {
  const out: Record<string, GroupRoute> = {};
  for (const g of groups) {
    const members = (membership.get(g.name) ?? []).map((service) => {
      const stored = g.members.find((m) => m.service === service);
      return { service, weight: stored?.weight ?? DEFAULT_GROUP_WEIGHT, standalone: stored?.standalone ?? false };
    });
    out[g.name] = {
      name: g.name,
      token: g.token,
      mode: g.mode,
      members,
      ...(g.affinity ? { affinity: g.affinity } : {}),
    };
  }
  return out;
}
