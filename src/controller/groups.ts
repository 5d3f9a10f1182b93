/**
 * Service groups on the control plane: keeps the stored groups in step with the
 * services' `metadata.group`, keeps group and service names apart, and applies
 * traffic changes (mode, weights, standalone, affinity). The gateway does the
 * routing from the snapshot (src/gateway/groups/).
 */

import type { GroupDescription, GroupMemberView, GroupSummary, GroupTrafficRequest } from '../api/index.js';
import { PierError, type FieldError } from '../errors.js';
import { type EndpointSource, groupShares } from '../gateway/index.js';
import type { ServiceSpec } from '../spec/index.js';
import { generateToken, type GroupRecord, type GroupTrafficPatch, type Store } from '../store/index.js';
import { groupMembership } from './routes.js';

export interface GroupControlDeps {
  store: Store;
  endpoints: EndpointSource;
  /** Publishes a snapshot now, so a change reaches the gateways without waiting for a reconcile. */
  publish: () => void;
  gatewayUrl: string;
  /** Requests per group and member the gateway has sent so far. */
  groupCounts?: () => Record<string, Record<string, number>>;
}

export const MAX_GROUP_WEIGHT = 1000;
/** RFC 9110 §5.6.2 token: what a header or cookie name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export class GroupControl {
  constructor(private readonly deps: GroupControlDeps) {}

  /** Creates groups named for the first time and removes those nobody names any more. */
  sync(): void {
    const { store } = this.deps;
    const members = store.listServices().map((svc) => ({
      name: svc.name,
      group: store.getRevision(svc.name, svc.revision)?.spec.metadata.group,
    }));
    store.groups.sync(groupMembership(members), generateToken);
  }

  /**
   * A group and a service may not share a name: `/api/predict/<name>` must mean one
   * of them. Throws CONFLICT with the offending path.
   */
  checkNames(spec: ServiceSpec): void {
    const { store } = this.deps;
    if (store.groups.get(spec.name)) {
      throw conflict(`"${spec.name}" is the name of a service group`, 'name', 'pick another service name');
    }
    const group = spec.metadata.group;
    if (group === undefined) return;
    if (group === spec.name || store.getService(group)) {
      throw conflict(
        `metadata.group "${group}" is the name of a service`,
        'metadata.group',
        `give the group its own name, e.g. "${group}_group"`,
      );
    }
  }

  list(): GroupSummary[] {
    return this.deps.store.groups.list().map((g) => this.view(g));
  }

  describe(name: string): GroupDescription {
    const g = this.require(name);
    return { ...this.view(g), token: g.token };
  }

  setTraffic(name: string, req: GroupTrafficRequest): GroupDescription {
    const g = this.require(name);
    const members = this.members(name);
    const patch = trafficPatch(req, members);
    this.deps.store.groups.setTraffic(g.name, patch);
    this.deps.publish();
    return this.describe(name);
  }

  private require(name: string): GroupRecord {
    const g = this.deps.store.groups.get(name);
    if (!g) {
      throw new PierError('GROUP_NOT_FOUND', `service group "${name}" not found; "pier group list" shows the groups`);
    }
    return g;
  }

  private members(name: string): string[] {
    return this.deps.endpoints.current().groups?.[name]?.members.map((m) => m.service) ?? [];
  }

  private view(g: GroupRecord): GroupSummary {
    const snapshot = this.deps.endpoints.current();
    const route = snapshot.groups?.[g.name];
    const shares = route ? groupShares(route, snapshot.services) : [];
    const total = shares.reduce((n, s) => n + s.weight, 0);
    const counts = this.deps.groupCounts?.()[g.name] ?? {};
    const members: GroupMemberView[] = (route?.members ?? []).map((m, i) => ({
      service: m.service,
      weight: m.weight,
      standalone: m.standalone,
      ready: snapshot.services[m.service]?.endpoints.length ?? 0,
      share: total > 0 ? Math.round((shares[i]!.weight / total) * 1000) / 10 : 0,
      requests: counts[m.service] ?? 0,
    }));
    return {
      name: g.name,
      mode: g.mode,
      ...(g.affinity ? { affinity: g.affinity } : {}),
      endpoint: `${this.deps.gatewayUrl}/api/predict/${g.name}`,
      members,
      createdAt: g.createdAt,
    };
  }
}

/** Checks a traffic request against the group's members; every problem reported with its path. */
export function trafficPatch(req: GroupTrafficRequest, members: readonly string[]): GroupTrafficPatch {
  const errors: FieldError[] = [];
  const patch: GroupTrafficPatch = {};
  const byMember: NonNullable<GroupTrafficPatch['members']> = {};
  const known = (service: string, path: string) => {
    if (members.includes(service)) return true;
    errors.push({
      path,
      message: `"${service}" is not a member of this group; members: ${members.join(', ') || 'none'}`,
    });
    return false;
  };
  if (req.mode !== undefined) {
    // EAS calls the custom mode "customized" (its Group object's TrafficMode).
    if (req.mode === 'auto' || req.mode === 'custom') patch.mode = req.mode;
    else if ((req.mode as string) === 'customized') patch.mode = 'custom';
    else errors.push({ path: 'mode', message: `is ${JSON.stringify(req.mode)}; use "auto" or "custom"` });
  }
  for (const [service, weight] of Object.entries(req.weights ?? {})) {
    const path = `weights.${service}`;
    if (!known(service, path)) continue;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > MAX_GROUP_WEIGHT) {
      errors.push({ path, message: `is ${JSON.stringify(weight)}; a weight is a whole number from 0 to 1000` });
      continue;
    }
    byMember[service] = { ...byMember[service], weight };
  }
  for (const [service, standalone] of Object.entries(req.standalone ?? {})) {
    const path = `standalone.${service}`;
    if (!known(service, path)) continue;
    if (typeof standalone !== 'boolean') {
      errors.push({ path, message: `is ${JSON.stringify(standalone)}; use true (standalone) or false (grouping)` });
      continue;
    }
    byMember[service] = { ...byMember[service], standalone };
  }
  if (req.affinity !== undefined) {
    const a = req.affinity as Record<string, unknown> | null;
    if (a === null) patch.affinity = null;
    else if (typeof a === 'object' && typeof a.header === 'string' && TOKEN.test(a.header)) {
      patch.affinity = { kind: 'header', key: a.header.toLowerCase() };
    } else if (typeof a === 'object' && typeof a.cookie === 'string' && TOKEN.test(a.cookie)) {
      patch.affinity = { kind: 'cookie', key: a.cookie };
    } else {
      errors.push({
        path: 'affinity',
        message: 'use {"header": "<name>"} or {"cookie": "<name>"} with a valid header or cookie name, or null',
      });
    }
  }
  if (errors.length > 0) {
    throw new PierError('BAD_REQUEST', `the traffic change has ${errors.length} error(s)`, { errors });
  }
  if (Object.keys(byMember).length > 0) patch.members = byMember;
  // Weights given without a mode mean custom weights: what `pier group traffic G a=90 b=10` asks for.
  if (patch.mode === undefined && req.weights !== undefined && Object.keys(req.weights).length > 0) {
    patch.mode = 'custom';
  }
  return patch;
}

function conflict(what: string, path: string, fix: string): PierError {
  return new PierError('CONFLICT', `${what}; ${fix}`, { errors: [{ path, message: `${what}; ${fix}` }] });
}
