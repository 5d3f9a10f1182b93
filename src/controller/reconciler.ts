/**
 * Keeps every service at its desired instance count for its current revision.
 * `reconcile(name)` reads the store and the live instances, asks the pure
 * `planRolloutStep` what to do next, and carries it out; the instances report
 * changes, which schedule the next reconcile. A 1 s tick covers time-based
 * conditions (min_ready_seconds, progress deadlines).
 *
 * Over the usual 300 lines: the loop, the rollout bookkeeping (pause, retag,
 * replacement) and snapshot publishing share one per-service state; the
 * decisions themselves live in rollout.ts, status.ts, equivalence.ts, routes.ts.
 */

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { ServiceStatus } from '../api/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { EndpointSnapshot, ServiceRoute } from '../gateway/index.js';
import { type CreateProber, LocalInstance } from '../platform/index.js';
import type { InstanceRuntime } from '../runtime/index.js';
import { dnsLabel, resolveRollingStrategy, type ServiceSpec } from '../spec/index.js';
import type { EventType, ServiceRecord, Store } from '../store/index.js';
import { runsSame } from './equivalence.js';
import { serviceRoute } from './routes.js';
import { planRolloutStep, type RolloutInstance } from './rollout.js';
import { computeServiceStatus, type StatusResult } from './status.js';

export interface ReconcilerDeps {
  store: Store;
  runtime: InstanceRuntime;
  clock: Clock;
  home: string;
  createProber: CreateProber;
  /** Publishes a new endpoint snapshot to the gateways. */
  publish(snapshot: EndpointSnapshot): void;
  /** Waits until the gateways have no request in flight to an instance. */
  drain(instanceId: string, timeoutMs: number): Promise<unknown>;
  logger?: Logger;
  /** Told of every recorded event (the controller's metrics). */
  onEvent?: (service: string, type: EventType, reason: string) => void;
}

/** What the controller keeps in memory per service, beside the store. */
export interface ServiceRuntimeState {
  instances: Map<string, LocalInstance>;
  everRunning: boolean;
  status: StatusResult;
  /** When the current revision's rollout began (progress deadline). */
  rolloutStartedAt?: number;
  rolloutRevision?: number;
  pausedReason?: string;
  /** Instances to be replaced by `restart`: planned as if they ran an old revision. */
  replace: Set<string>;
}

/** The revision a replaced instance is planned as: older than any real one. */
const REPLACED = -1;

export class Reconciler {
  readonly states = new Map<string, ServiceRuntimeState>();
  private readonly agentStartedAt: number;
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

  constructor(private readonly deps: ReconcilerDeps) {
    this.agentStartedAt = deps.clock.now();
  }

  /** Loads every service, re-adopts instances a previous Pier left running, and starts the loop. */
  async start(): Promise<void> {
    const { store, runtime } = this.deps;
    // Nothing is published until every instance is re-adopted: a snapshot with part of
    // them would take the others out of every gateway (issue 12).
    this.adopting = true;
    for (const svc of store.listServices()) this.state(svc.name, true);
    for (const rec of store.listInstances()) {
      const svc = store.getService(rec.service);
      const running =
        rec.port !== null
          ? await runtime.adopt({
              runtime: rec.runtime,
              instanceId: rec.id,
              pid: rec.pid ?? 0,
              port: rec.port,
              startedAt: rec.startedAt,
              logDir: rec.logDir,
            })
          : null;
      const revision = svc ? store.getRevision(svc.name, rec.revision) : undefined;
      if (!running || !svc || !revision) {
        if (running) await running.stop(5);
        store.deleteInstance(rec.id);
        continue;
      }
      const readiness =
        rec.ready === undefined
          ? {}
          : { readiness: { ready: rec.ready, ...(rec.readySince !== undefined ? { since: rec.readySince } : {}) } };
      const instance = this.makeInstance(svc.name, rec.revision, rec.id, {
        adopted: running,
        restarts: rec.restarts,
        ...readiness,
      });
      this.state(svc.name).instances.set(rec.id, instance);
      instance.start();
    }
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
   * its `changed()` scheduled. After close nothing is published, so it resolves
   * with the last version.
   */
  whenUnpublished(instanceId: string): Promise<number> {
    if (this.closed || !this.publishedIds.has(instanceId)) return Promise.resolve(this.publishedVersion);
    return new Promise((resolve) => this.unpublishWaiters.add({ instanceId, resolve }));
  }

  /** Stops the loop; with `stopInstances`, drains and stops every instance too. */
  async close(stopInstances: boolean): Promise<void> {
    this.closed = true;
    this.deps.clock.clearInterval(this.tick);
    this.settleUnpublished(() => true);
    if (!stopInstances) return;
    const all = [...this.states.values()].flatMap((s) => [...s.instances.values()]);
    await Promise.all(all.map((i) => i.stop('Pier is shutting down')));
  }

  state(name: string, everRunning = false): ServiceRuntimeState {
    let s = this.states.get(name);
    if (!s) {
      s = { instances: new Map(), everRunning, status: { status: 'Creating' }, replace: new Set() };
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
      const names = [...this.queued];
      this.queued.clear();
      for (const n of names) this.reconcile(n);
      this.publishSnapshot();
    });
  }

  /** The live (not terminating) instances of a service. */
  liveInstances(name: string): LocalInstance[] {
    return [...(this.states.get(name)?.instances.values() ?? [])].filter((i) => !i.terminating);
  }

  /**
   * Marks instances for replacement; the rollout then surges new ones and drains
   * these only as the new ones become available. Returns the ids marked.
   */
  markForReplacement(name: string, instanceId?: string): string[] {
    const s = this.state(name);
    const live = [...s.instances.values()].filter((i) => !i.terminating);
    const ids = live.filter((i) => instanceId === undefined || i.id === instanceId).map((i) => i.id);
    for (const id of ids) s.replace.add(id);
    s.rolloutRevision = undefined; // a restart is a rollout of its own: restart the progress clock
    this.enqueue(name);
    return ids;
  }

  /**
   * Stops every instance of `name` and waits until they are gone from its state;
   * true when they all went within `timeoutMs`. The timer is cleared either way:
   * a pending sleep would hold Pier's shutdown for the whole bound (issue 12).
   */
  async waitForNoInstances(name: string, timeoutMs: number): Promise<boolean> {
    const s = this.states.get(name);
    if (!s) return true;
    const abort = new AbortController();
    const gone = Promise.all([...s.instances.keys()].map((id) => this.retire(name, id, 'service is being removed')));
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
    const s = this.states.get(name);
    if (s && s.instances.size > 0) return false;
    this.states.delete(name);
    return true;
  }

  reconcile(name: string): void {
    const { store } = this.deps;
    const svc = store.getService(name);
    const s = this.states.get(name);
    if (!s) return;
    if (!svc) {
      for (const id of s.instances.keys()) void this.retire(name, id, 'service deleted');
      if (s.instances.size === 0) this.states.delete(name);
      return;
    }
    const revision = store.getRevision(name, svc.revision);
    if (!revision) return;
    const desired = svc.stopped || svc.deleting ? 0 : svc.desiredInstances;
    const unsupported = this.deps.runtime.unsupportedReason(revision.spec);
    const strategy = revision.spec.metadata.rolling_strategy;
    this.retagEquivalent(name, svc.revision, revision.spec, s);
    this.trackRollout(name, svc, s);

    if (!unsupported) {
      const { maxSurge, maxUnavailable } = resolveRollingStrategy(strategy, desired);
      const live = [...s.instances.values()].filter((i) => !i.terminating);
      const step = planRolloutStep({
        desired,
        revision: svc.revision,
        maxSurge,
        maxUnavailable,
        instances: live.map((i) => ({
          ...toRolloutInstance(i, strategy.min_ready_seconds),
          revision: s.replace.has(i.id) ? REPLACED : i.revision,
        })),
      });
      if (step.kind === 'create') {
        for (let n = 0; n < step.count; n++) this.addInstance(name, step.revision);
      } else if (step.kind === 'remove') {
        const why = step.reason === 'scale-down' ? 'scaled down' : `replaced by revision ${svc.revision}`;
        for (const id of step.ids) this.removeInstance(name, id, why);
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
      instances: [...s.instances.values()].map((i) => {
        const v = i.view();
        return {
          id: v.id,
          revision: s.replace.has(v.id) ? REPLACED : v.revision,
          state: v.state,
          ready: v.ready,
          terminating: i.terminating,
          message: v.message ?? lastProbeMessage(v),
        };
      }),
    });
    if (status.status === 'Running') s.everRunning = true;
    if (status.status !== s.status.status) this.statusEvent(name, svc.revision, s.status.status, status);
    s.status = status;
  }

  /** Instances of another revision that runs the same thing join the current one in place. */
  private retagEquivalent(name: string, current: number, spec: ServiceSpec, s: ServiceRuntimeState): void {
    for (const i of s.instances.values()) {
      if (i.terminating || i.revision === current || s.replace.has(i.id)) continue;
      const theirs = this.deps.store.getRevision(name, i.revision)?.spec;
      if (theirs && runsSame(theirs, spec)) i.retag(current, spec);
    }
  }

  private trackRollout(name: string, svc: ServiceRecord, s: ServiceRuntimeState): void {
    const now = this.deps.clock.now();
    if (s.rolloutRevision !== svc.revision) {
      s.rolloutRevision = svc.revision;
      s.rolloutStartedAt = now;
      s.pausedReason = undefined;
    }
    const revision = this.deps.store.getRevision(name, svc.revision);
    if (!revision) return;
    const all = [...s.instances.values()].filter((i) => !i.terminating);
    const old = all.filter((i) => i.revision !== svc.revision || s.replace.has(i.id));
    if (old.length === 0) {
      s.pausedReason = undefined;
      return;
    }
    const crashing = all.find((i) => i.revision === svc.revision && i.view().state === 'CrashLoopBackOff');
    const deadline = revision.spec.metadata.rolling_strategy.progress_deadline_seconds * 1000;
    let reason: string | undefined;
    if (crashing)
      reason = `revision ${svc.revision} is crash-looping (${crashing.id}: ${crashing.view().message ?? ''})`;
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

  private addInstance(name: string, revision: number): void {
    const id = `${dnsLabel(name)}-${revision}-${randomBytes(3).toString('hex')}`;
    const instance = this.makeInstance(name, revision, id, {});
    this.state(name).instances.set(id, instance);
    this.event(name, 'Normal', 'Scheduled', `Instance ${id} of revision ${revision} scheduled`, revision, id);
    instance.start();
  }

  private removeInstance(name: string, id: string, why: string): void {
    void this.retire(name, id, why);
  }

  /**
   * Stops an instance and takes it out of its service's state once it is gone:
   * the only way an instance leaves, so a stop started anywhere (delete, scale
   * down, replacement) never leaves a Terminating ghost behind (issue 12).
   */
  private retire(name: string, id: string, why: string): Promise<void> {
    const s = this.states.get(name);
    const instance = s?.instances.get(id);
    if (!s || !instance) return Promise.resolve();
    return instance.stop(why).then(() => {
      if (s.instances.get(id) === instance) s.instances.delete(id);
      s.replace.delete(id);
      this.enqueue(name);
    });
  }

  private makeInstance(
    name: string,
    revision: number,
    id: string,
    extra: Pick<ConstructorParameters<typeof LocalInstance>[0], 'adopted' | 'restarts' | 'readiness'>,
  ): LocalInstance {
    const { store, home } = this.deps;
    const spec = store.getRevision(name, revision)?.spec;
    if (!spec) throw new Error(`revision ${revision} of ${name} is missing`);
    return new LocalInstance(
      {
        id,
        service: name,
        revision,
        spec,
        logDir: path.join(home, 'logs', name, id),
        workDir: path.join(home, 'run', name, id),
        ...extra,
      },
      {
        runtime: this.deps.runtime,
        clock: this.deps.clock,
        createProber: this.deps.createProber,
        agentStartedAt: this.agentStartedAt,
        event: (type, reason, message) => this.event(name, type, reason, message, revision, id),
        changed: () => this.enqueue(name),
        persist: (rec) => {
          if (!store.getService(name)) return;
          if (rec) store.upsertInstance(rec);
          else store.deleteInstance(id);
        },
        drain: this.deps.drain,
      },
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
    let incomplete = false;
    for (const svc of this.deps.store.listServices()) {
      if (svc.deleting) continue;
      const revision = this.deps.store.getRevision(svc.name, svc.revision);
      if (!revision) continue;
      const instances = [...(this.states.get(svc.name)?.instances.values() ?? [])];
      if (instances.some((i) => !i.readinessKnown())) incomplete = true;
      const endpoints = instances.map((i) => i.endpoint()).filter((e): e is NonNullable<typeof e> => e !== null);
      services[svc.name] = serviceRoute(svc, revision.spec, endpoints);
    }
    const json = JSON.stringify({ services, incomplete });
    if (json === this.lastSnapshotJson) return;
    this.lastSnapshotJson = json;
    this.publishedVersion++;
    this.publishedIds = new Set(Object.values(services).flatMap((r) => r.endpoints.map((e) => e.instanceId)));
    this.deps.publish({ version: this.publishedVersion, services, ...(incomplete ? { incomplete: true } : {}) });
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

function toRolloutInstance(i: LocalInstance, minReadySeconds: number): RolloutInstance {
  return {
    id: i.id,
    revision: i.revision,
    scheduled: i.isScheduled(),
    ready: i.isReady(),
    available: i.isAvailable(minReadySeconds),
    readySince: i.readySinceMs,
    createdAt: i.createdAt,
  };
}

function lastProbeMessage(v: {
  probes: Partial<Record<string, { result: string; message: string }>>;
}): string | undefined {
  const failed = Object.entries(v.probes).find(([, o]) => o && o.result === 'failure');
  return failed ? `${failed[0]} probe: ${failed[1]?.message}` : undefined;
}
