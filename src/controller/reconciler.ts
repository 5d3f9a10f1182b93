/**
 * Keeps every service at its desired instance count for its current revision.
 * `reconcile(name)` reads the store and what the platform observes, hands the
 * platform the desired state (a revision's plan × replicas, the rollout strategy),
 * and works out status, rollout pauses and events from the instances it reports;
 * the platform reports changes, which schedule the next reconcile. A 1 s tick
 * covers time-based conditions (min_ready_seconds, progress deadlines).
 * The decisions live in status.ts, equivalence.ts and routes.ts; execution
 * (processes, containers, pods) lives behind `Platform` (src/platform/types.ts).
 */

import type { Logger } from 'pino';
import type { ServiceStatus } from '../api/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { EndpointSnapshot, ServiceRoute } from '../gateway/index.js';
import {
  type InstanceMetrics,
  type InstanceView,
  makeInstancePlan,
  type Platform,
  type RevisionPlan,
  type RevisionTrack,
} from '../platform/index.js';
import { resolveRollingStrategy } from '../spec/index.js';
import type { EventType, ServiceRecord, Store } from '../store/index.js';
import { runsSame } from './equivalence.js';
import { groupMembership, groupRoutes, serviceRoute } from './routes.js';
import { computeServiceStatus, type StatusResult } from './status.js';
import { revisionReplicas } from './traffic.js';

export interface ReconcilerDeps {
  store: Store;
  platform: Platform;
  clock: Clock;
  /** Publishes a new endpoint snapshot to the gateways. */
  publish(snapshot: EndpointSnapshot): void;
  logger?: Logger;
  /** Told of every recorded event (the controller's metrics). */
  onEvent?: (service: string, type: EventType, reason: string) => void;
}

/** What the controller keeps in memory per service, beside the store and the platform. */
export interface ServiceRuntimeState {
  everRunning: boolean;
  status: StatusResult;
  /** When the current revision's rollout began (progress deadline). */
  rolloutStartedAt?: number;
  rolloutRevision?: number;
  pausedReason?: string;
  /** The last error the platform's apply threw, until an apply succeeds. */
  applyError?: string;
}

/** The revision a replaced instance is counted as: older than any real one. */
const REPLACED = -1;

export class Reconciler {
  readonly states = new Map<string, ServiceRuntimeState>();
  private readonly queued = new Set<string>();
  private flushScheduled = false;
  private tick: TimerHandle | undefined;
  private publishedVersion = 0;
  private lastSnapshotJson = '';
  /** Instances in the last published snapshot, and drains waiting for one to leave it. */
  private publishedIds = new Set<string>();
  private readonly unpublishWaiters = new Set<{ instanceId: string; resolve(version: number): void }>();
  private closed = false;
  private adopting = false;

  constructor(private readonly deps: ReconcilerDeps) {}

  /** Loads every service, lets the platform re-attach what an earlier Pier left running, and starts the loop. */
  async start(): Promise<void> {
    const { store, platform } = this.deps;
    // Nothing is published until every instance is re-adopted: a snapshot with part of
    // them would take the others out of every gateway (issue 12).
    this.adopting = true;
    for (const svc of store.listServices()) this.state(svc.name, true);
    await platform.start((service, revision) => this.revisionPlan(service, revision));
    this.adopting = false;
    this.publishSnapshot();
    for (const name of this.states.keys()) this.enqueue(name);
    this.tick = this.deps.clock.setInterval(() => {
      for (const name of this.states.keys()) this.enqueue(name);
    }, 1000);
  }

  /** Version of the last published endpoint snapshot (0 before the first). */
  get snapshotVersion(): number {
    return this.publishedVersion;
  }

  /**
   * Resolves with the version of the first published snapshot without the
   * instance: at once when the last one already lacks it, else at the publish
   * its change scheduled. After close nothing is published, so it resolves
   * with the last version.
   */
  whenUnpublished(instanceId: string): Promise<number> {
    if (this.closed || !this.publishedIds.has(instanceId)) return Promise.resolve(this.publishedVersion);
    return new Promise((resolve) => this.unpublishWaiters.add({ instanceId, resolve }));
  }

  /** Stops the loop; with `stopInstances`, the platform drains and stops every instance too. */
  async close(stopInstances: boolean): Promise<void> {
    this.closed = true;
    this.deps.clock.clearInterval(this.tick);
    this.settleUnpublished(() => true);
    await this.deps.platform.close(stopInstances);
  }

  state(name: string, everRunning = false): ServiceRuntimeState {
    let s = this.states.get(name);
    if (!s) {
      s = { everRunning, status: { status: 'Creating' } };
      this.states.set(name, s);
    }
    return s;
  }

  /** Schedules a reconcile of `name` (coalesced; runs after the current tick of the event loop). */
  enqueue(name: string): void {
    if (this.closed) return;
    this.queued.add(name);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.closed) return;
      const names = [...this.queued];
      this.queued.clear();
      for (const n of names) this.reconcile(n);
      this.publishSnapshot();
    });
  }

  /** Every instance of a service as the platform reports it. */
  instances(name: string): InstanceView[] {
    return this.deps.platform.instances(name);
  }

  /** CPU use of a service's live instances (the autoscaler's tick). */
  metrics(name: string): InstanceMetrics[] {
    return this.deps.platform.metrics(name);
  }

  /** The live (not terminating) instances of a service. */
  liveInstances(name: string): InstanceView[] {
    return this.instances(name).filter((i) => !i.terminating);
  }

  /**
   * Marks instances for replacement; the rollout then surges new ones and drains
   * these only as the new ones become available. Returns the ids marked.
   */
  markForReplacement(name: string, instanceId?: string): string[] {
    const s = this.state(name);
    const ids = this.deps.platform.replace(name, instanceId);
    s.rolloutRevision = undefined; // a restart is a rollout of its own: restart the progress clock
    this.enqueue(name);
    return ids;
  }

  /**
   * Stops every instance of `name` and waits until they are gone; true when they
   * all went within `timeoutMs`. The timer is cleared either way: a pending sleep
   * would hold Pier's shutdown for the whole bound (issue 12).
   */
  async waitForNoInstances(name: string, timeoutMs: number): Promise<boolean> {
    if (!this.states.has(name) && this.instances(name).length === 0) return true;
    const abort = new AbortController();
    const gone = this.deps.platform.remove(name, 'service is being removed');
    try {
      return await Promise.race([
        gone.then(() => true),
        this.deps.clock.sleep(timeoutMs, abort.signal).then(
          () => false,
          () => false,
        ),
      ]);
    } finally {
      abort.abort();
    }
  }

  /** Forgets a deleted service's state once none of its instances is left; false while some are. */
  forget(name: string): boolean {
    if (!this.deps.platform.forget(name)) return false;
    this.states.delete(name);
    return true;
  }

  reconcile(name: string): void {
    const { store, platform } = this.deps;
    const svc = store.getService(name);
    const s = this.states.get(name);
    if (!s) return;
    if (!svc) {
      void platform.remove(name, 'service deleted');
      if (platform.forget(name)) this.states.delete(name);
      return;
    }
    const current = this.revisionPlan(name, svc.revision);
    if (!current) return;
    const serviceDesired = svc.stopped || svc.deleting ? 0 : svc.desiredInstances;
    const tracks = this.tracks(name, serviceDesired);
    // With a split, every revision of it counts as current, at the sum of their counts.
    const desired = tracks ? tracks.reduce((n, t) => n + t.replicas, 0) : serviceDesired;
    const inSplit = new Set(tracks?.map((t) => t.revision.revision) ?? [svc.revision]);
    const unsupported = platform.unsupportedReason(current.spec);
    const strategy = current.spec.metadata.rolling_strategy;
    this.trackRollout(name, svc, s, inSplit);

    if (!unsupported) {
      const { maxSurge, maxUnavailable } = resolveRollingStrategy(strategy, desired);
      try {
        platform.apply({
          service: name,
          current,
          replicas: desired,
          strategy: { maxSurge, maxUnavailable, minReadySeconds: strategy.min_ready_seconds },
          equivalent: tracks ? [] : this.equivalentRevisions(name, current),
          ...(tracks ? { tracks } : {}),
        });
        s.applyError = undefined;
      } catch (err) {
        // A platform that cannot take the desired state now (an API down) is retried at the
        // next tick; one event per distinct failure, as knative reconcilers record them.
        const message = err instanceof Error ? err.message : String(err);
        if (s.applyError !== message) this.event(name, 'Warning', 'ApplyFailed', message, svc.revision);
        s.applyError = message;
      }
    }

    const status = computeServiceStatus({
      deleting: svc.deleting,
      stopped: svc.stopped,
      desired,
      revision: svc.revision,
      everRunning: s.everRunning,
      unsupportedReason: unsupported,
      pausedReason: s.pausedReason,
      instances: this.instances(name).map((v) => ({
        id: v.id,
        // With a split, its revisions count as current and any other (the current one too) as old.
        revision: v.replacing || !inSplit.has(v.revision) ? REPLACED : svc.revision,
        state: v.state,
        ready: v.ready,
        terminating: v.terminating,
        message: v.message ?? lastProbeMessage(v),
      })),
    });
    if (status.status === 'Running') s.everRunning = true;
    if (status.status !== s.status.status) this.statusEvent(name, svc.revision, s.status.status, status);
    s.status = status;
  }

  /**
   * The service's traffic split as per-revision counts (traffic.ts, revisionReplicas),
   * or undefined when it has none and the current revision takes everything.
   */
  private tracks(name: string, desired: number): RevisionTrack[] | undefined {
    const split = this.deps.store.traffic.get(name);
    if (split.length === 0) return undefined;
    const tracks: RevisionTrack[] = [];
    for (const r of revisionReplicas(desired, split)) {
      const revision = this.revisionPlan(name, r.revision);
      if (revision) tracks.push({ revision, replicas: r.replicas });
    }
    return tracks.length > 0 ? tracks : undefined;
  }

  private revisionPlan(service: string, revision: number): RevisionPlan | undefined {
    const rec = this.deps.store.getRevision(service, revision);
    return rec ? { revision, spec: rec.spec, plan: makeInstancePlan(rec.spec, revision) } : undefined;
  }

  /** Revisions of running instances that run the same thing as the current one: they join it in place. */
  private equivalentRevisions(name: string, current: RevisionPlan): number[] {
    const revisions = new Set(
      this.liveInstances(name)
        .filter((i) => i.revision !== current.revision && !i.replacing)
        .map((i) => i.revision),
    );
    return [...revisions].filter((r) => {
      const theirs = this.deps.store.getRevision(name, r)?.spec;
      return theirs !== undefined && runsSame(theirs, current.spec);
    });
  }

  /** `inSplit`: the revisions instances should run (the current one, or those of the traffic split). */
  private trackRollout(name: string, svc: ServiceRecord, s: ServiceRuntimeState, inSplit: ReadonlySet<number>): void {
    const now = this.deps.clock.now();
    if (s.rolloutRevision !== svc.revision) {
      s.rolloutRevision = svc.revision;
      s.rolloutStartedAt = now;
      s.pausedReason = undefined;
    }
    const revision = this.deps.store.getRevision(name, svc.revision);
    if (!revision) return;
    const all = this.liveInstances(name);
    const old = all.filter((i) => !inSplit.has(i.revision) || i.replacing);
    if (old.length === 0) {
      s.pausedReason = undefined;
      return;
    }
    const crashing = all.find((i) => inSplit.has(i.revision) && i.state === 'CrashLoopBackOff');
    const deadline = revision.spec.metadata.rolling_strategy.progress_deadline_seconds * 1000;
    let reason: string | undefined;
    if (crashing) reason = `revision ${crashing.revision} is crash-looping (${crashing.id}: ${crashing.message ?? ''})`;
    else if (s.rolloutStartedAt !== undefined && now - s.rolloutStartedAt > deadline) {
      reason = `revision ${svc.revision} made no progress for ${deadline / 1000}s (ProgressDeadlineExceeded)`;
    }
    if (reason && !s.pausedReason) {
      const previous = this.deps.store
        .listRevisions(name)
        .filter((r) => r.number !== svc.revision)
        .at(-1)?.number;
      this.event(
        name,
        'Warning',
        'RolloutPaused',
        `${reason}; old instances keep serving. Roll back with "pier version ${name} ${previous ?? '<N>'}" or fix it with "pier modify ${name}"`,
        svc.revision,
      );
    }
    s.pausedReason = reason;
  }

  private statusEvent(name: string, revision: number, from: ServiceStatus, to: StatusResult): void {
    const warn = to.status === 'Failed';
    const detail = [to.reason, to.message].filter(Boolean).join(': ');
    this.event(
      name,
      warn ? 'Warning' : 'Normal',
      `Service${to.status}`,
      `${from} → ${to.status}${detail ? ` (${detail})` : ''}`,
      revision,
    );
  }

  event(name: string, type: EventType, reason: string, message: string, revision?: number, instance?: string): void {
    if (!this.deps.store.getService(name)) return;
    this.deps.store.appendEvent({ service: name, type, reason, message, revision, instance });
    this.deps.onEvent?.(name, type, reason);
    this.deps.logger?.info({ service: name, instance, reason }, message);
  }

  /** Builds the endpoint snapshot and publishes it when it changed. */
  publishSnapshot(): void {
    if (this.adopting) return;
    const services: Record<string, ServiceRoute> = {};
    const members: { name: string; group?: string | undefined }[] = [];
    let incomplete = false;
    const splits = this.deps.store.traffic.all();
    for (const svc of this.deps.store.listServices()) {
      if (svc.deleting) continue;
      const revision = this.deps.store.getRevision(svc.name, svc.revision);
      if (!revision) continue;
      const { endpoints, complete } = this.deps.platform.endpoints(svc.name);
      if (!complete) incomplete = true;
      services[svc.name] = serviceRoute(svc, revision.spec, endpoints, splits.get(svc.name));
      members.push({ name: svc.name, group: revision.spec.metadata.group });
    }
    const groups = groupRoutes(this.deps.store.groups.list(), groupMembership(members));
    const hasGroups = Object.keys(groups).length > 0;
    const json = JSON.stringify({ services, incomplete, groups });
    if (json === this.lastSnapshotJson) return;
    this.lastSnapshotJson = json;
    this.publishedVersion++;
    this.publishedIds = new Set(Object.values(services).flatMap((r) => r.endpoints.map((e) => e.instanceId)));
    this.deps.publish({
      version: this.publishedVersion,
      services,
      ...(hasGroups ? { groups } : {}),
      ...(incomplete ? { incomplete: true } : {}),
    });
    this.settleUnpublished((id) => !this.publishedIds.has(id));
  }

  private settleUnpublished(gone: (instanceId: string) => boolean): void {
    for (const w of [...this.unpublishWaiters]) {
      if (!gone(w.instanceId)) continue;
      this.unpublishWaiters.delete(w);
      w.resolve(this.publishedVersion);
    }
  }
}

function lastProbeMessage(v: {
  probes: Partial<Record<string, { result: string; message: string }>>;
}): string | undefined {
  const failed = Object.entries(v.probes).find(([, o]) => o && o.result === 'failure');
  return failed ? `${failed[0]} probe: ${failed[1]?.message}` : undefined;
}
