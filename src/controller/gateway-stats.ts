/**
 * The autoscaler's counters from every gateway replica, not only the control
 * plane's own: each `pier gateway` (`--control` or `--kubernetes`) posts what it
 * counted about once a second, as Knative's activators push their stats to the
 * autoscaler (https://knative.dev/docs/serving/autoscaling/autoscaler-types/ ,
 * knative/serving pkg/activator/stat_reporter.go). A push needs no discovery of
 * the replicas and no RBAC, and works the same for gateways outside the cluster.
 *
 * `mergeGatewayStats` is pure: the in-process gateway's stats plus every replica
 * heard from within `staleMs`; a replica that stops reporting (it ended, or
 * cannot reach the control plane) drops out of the sum. A replica's requests
 * count from its first report (its baseline), and its instances are keyed
 * `<instance>@<gateway>`: a replica that joins or leaves never looks to the rate
 * computation (src/autoscaler/collect.ts) like a counter that jumped or restarted.
 */

import type { GatewayStatsReport } from '../api/index.js';
import type { Clock } from '../clock.js';

type Counters = { requests: number; inflight: number };
export type ReportedServices = GatewayStatsReport['services'];

/** What the control plane holds per replica. */
export interface GatewayStatsEntry {
  gateway: string;
  /** When the last report arrived. */
  at: number;
  /** The first report of this run of the replica: requests count from here. */
  baseline: ReportedServices;
  last: GatewayStatsReport;
}

/** The shape of the in-process gateway's `stats()` that is merged. */
export interface LocalStats {
  services: Record<string, { pending?: number; instances: Record<string, Counters> } | undefined>;
  groups?: Record<string, Record<string, number>>;
}

export interface MergedStats {
  services: Record<string, { pending: number; instances: Record<string, Counters> }>;
  /** Requests per group and member, summed over the gateways (for `pier group desc`). */
  groups: Record<string, Record<string, number>>;
  /** The replicas whose reports are in the sum. */
  gateways: string[];
}

/** Default: a replica silent for 5 s (five reports missed) is no longer counted. */
export const GATEWAY_STATS_STALE_MS = 5000;

export function isFresh(entry: GatewayStatsEntry, now: number, staleMs: number): boolean {
  return now - entry.at <= staleMs;
}

/** The instance key of a replica's counters. */
export function replicaKey(instance: string, gateway: string): string {
  return `${instance}@${gateway}`;
}

export function mergeGatewayStats(
  local: LocalStats,
  entries: readonly GatewayStatsEntry[],
  now: number,
  staleMs: number,
): MergedStats {
  const services: MergedStats['services'] = {};
  const groups: MergedStats['groups'] = {};
  const serviceOf = (name: string) => {
    services[name] ??= { pending: 0, instances: {} };
    return services[name];
  };
  for (const [name, st] of Object.entries(local.services)) {
    if (!st) continue;
    const out = serviceOf(name);
    out.pending += st.pending ?? 0;
    for (const [id, c] of Object.entries(st.instances))
      out.instances[id] = { requests: c.requests, inflight: c.inflight };
  }
  addGroups(groups, local.groups);
  const gateways: string[] = [];
  for (const e of entries) {
    if (!isFresh(e, now, staleMs)) continue;
    gateways.push(e.gateway);
    for (const [name, st] of Object.entries(e.last.services)) {
      const out = serviceOf(name);
      out.pending += Math.max(0, st.pending ?? 0);
      for (const [id, c] of Object.entries(st.instances)) {
        const base = e.baseline[name]?.instances[id]?.requests ?? 0;
        out.instances[replicaKey(id, e.gateway)] = {
          requests: Math.max(0, c.requests - base),
          inflight: Math.max(0, c.inflight),
        };
      }
    }
    addGroups(groups, e.last.groups);
  }
  return { services, groups, gateways: gateways.sort() };
}

/** True when some counter of `next` is below the one in `last`: the replica restarted under the same id. */
export function restarted(last: ReportedServices, next: ReportedServices): boolean {
  for (const [name, st] of Object.entries(last)) {
    for (const [id, c] of Object.entries(st.instances)) {
      const now = next[name]?.instances[id]?.requests;
      if (now !== undefined && now < c.requests) return true;
    }
  }
  return false;
}

function addGroups(into: MergedStats['groups'], from: Record<string, Record<string, number>> | undefined): void {
  for (const [group, members] of Object.entries(from ?? {})) {
    const out = into[group] ?? {};
    into[group] = out;
    for (const [member, n] of Object.entries(members)) out[member] = (out[member] ?? 0) + n;
  }
}

export interface GatewayStatsBoardDeps {
  clock: Clock;
  staleMs?: number;
}

/** The replicas' last reports; `merged` sums them with the local gateway's stats. */
export class GatewayStatsBoard {
  private readonly entries = new Map<string, GatewayStatsEntry>();
  private readonly staleMs: number;

  constructor(private readonly deps: GatewayStatsBoardDeps) {
    this.staleMs = deps.staleMs ?? GATEWAY_STATS_STALE_MS;
  }

  report(report: GatewayStatsReport): void {
    const now = this.deps.clock.now();
    const before = this.entries.get(report.gateway);
    // A replica seen for the first time, back after it went stale, or restarted starts a new
    // baseline: what it counted while nobody listened is not a burst of requests now.
    const rebase = !before || !isFresh(before, now, this.staleMs) || restarted(before.last.services, report.services);
    this.entries.set(report.gateway, {
      gateway: report.gateway,
      at: now,
      baseline: rebase ? report.services : before.baseline,
      last: report,
    });
  }

  merged(local: LocalStats): MergedStats {
    const now = this.deps.clock.now();
    // Long-gone replicas are forgotten (a stale one is already out of the sum).
    for (const [id, e] of this.entries) if (!isFresh(e, now, this.staleMs * 10)) this.entries.delete(id);
    return mergeGatewayStats(local, [...this.entries.values()], now, this.staleMs);
  }
}
