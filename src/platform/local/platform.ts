/**
 * The local platform: instances are processes or containers that Pier starts and
 * supervises (LocalInstance), rolled out by Pier's own rollout steps
 * (rollout.ts, a Deployment's RollingUpdate). The controller hands it a desired
 * state; everything about pids, ports, log files and re-adoption stays here.
 */

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { LogQuery } from '../../api/index.js';
import type { Clock } from '../../clock.js';
import type { InstanceRuntime } from '../../runtime/index.js';
import { dnsLabel, type ServiceSpec } from '../../spec/index.js';
import type {
  DesiredState,
  EndpointList,
  InstanceMetrics,
  InstanceView,
  Platform,
  PlatformListener,
  RevisionLookup,
  RevisionPlan,
  RevisionTrack,
} from '../types.js';
import { type CreateProber, type InstanceInit, LocalInstance } from './instance.js';
import { ServiceLogs } from './logs.js';
import type { LocalRecords } from './records.js';
import { planRolloutStep } from './rollout.js';
import { planTrackSteps } from './tracks.js';

export interface LocalPlatformDeps extends PlatformListener {
  runtime: InstanceRuntime;
  clock: Clock;
  home: string;
  createProber: CreateProber;
  records: LocalRecords;
  /** Waits until the gateways have no request in flight to an instance. */
  drain(instanceId: string, timeoutMs: number): Promise<unknown>;
}

interface LocalService {
  instances: Map<string, LocalInstance>;
  /** Instances to be replaced by `restart`: planned as if they ran an old revision. */
  replace: Set<string>;
}

/** The revision a replaced instance is planned as: older than any real one. */
const REPLACED = -1;

export class LocalPlatform implements Platform {
  readonly kind = 'local' as const;
  private readonly services = new Map<string, LocalService>();
  private readonly agentStartedAt: number;
  private readonly logFiles: ServiceLogs;

  constructor(private readonly deps: LocalPlatformDeps) {
    this.agentStartedAt = deps.clock.now();
    this.logFiles = new ServiceLogs(deps.home, (name) => [...(this.services.get(name)?.instances.keys() ?? [])]);
  }

  async start(lookup: RevisionLookup): Promise<void> {
    const { records, runtime } = this.deps;
    for (const rec of records.list()) {
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
      const revision = lookup(rec.service, rec.revision);
      if (!running || !revision) {
        if (running) await running.stop(5);
        records.delete(rec.id);
        continue;
      }
      const readiness =
        rec.ready === undefined
          ? {}
          : { readiness: { ready: rec.ready, ...(rec.readySince !== undefined ? { since: rec.readySince } : {}) } };
      const instance = this.makeInstance(rec.service, revision, rec.id, {
        adopted: running,
        restarts: rec.restarts,
        ...readiness,
      });
      this.service(rec.service).instances.set(rec.id, instance);
      instance.start();
    }
  }

  apply(desired: DesiredState): void {
    if (desired.tracks) {
      this.applyTracks(desired, desired.tracks);
      return;
    }
    const s = this.service(desired.service);
    const { current, strategy } = desired;
    for (const i of s.instances.values()) {
      if (i.terminating || i.revision === current.revision || s.replace.has(i.id)) continue;
      if (desired.equivalent.includes(i.revision)) i.retag(current.revision, current.spec, current.plan);
    }
    const live = [...s.instances.values()].filter((i) => !i.terminating);
    const step = planRolloutStep({
      desired: desired.replicas,
      revision: current.revision,
      maxSurge: strategy.maxSurge,
      maxUnavailable: strategy.maxUnavailable,
      instances: live.map((i) => ({
        id: i.id,
        revision: s.replace.has(i.id) ? REPLACED : i.revision,
        scheduled: i.isScheduled(),
        ready: i.isReady(),
        available: i.isAvailable(strategy.minReadySeconds),
        readySince: i.readySinceMs,
        createdAt: i.createdAt,
      })),
    });
    if (step.kind === 'create') {
      for (let n = 0; n < step.count; n++) this.addInstance(desired.service, current);
    } else if (step.kind === 'remove') {
      const why = step.reason === 'scale-down' ? 'scaled down' : `replaced by revision ${current.revision}`;
      for (const id of step.ids) void this.retire(desired.service, id, why);
    }
  }

  /** A traffic split: every revision of it kept at its own count (tracks.ts). */
  private applyTracks(desired: DesiredState, tracks: RevisionTrack[]): void {
    const s = this.service(desired.service);
    const { minReadySeconds } = desired.strategy;
    const live = [...s.instances.values()].filter((i) => !i.terminating);
    const steps = planTrackSteps({
      tracks: tracks.map((t) => ({ revision: t.revision.revision, desired: t.replicas })),
      instances: live.map((i) => ({
        id: i.id,
        revision: s.replace.has(i.id) ? REPLACED : i.revision,
        scheduled: i.isScheduled(),
        ready: i.isReady(),
        available: i.isAvailable(minReadySeconds),
        readySince: i.readySinceMs,
        createdAt: i.createdAt,
      })),
    });
    for (const step of steps) {
      if (step.kind === 'create') {
        const plan = tracks.find((t) => t.revision.revision === step.revision)!.revision;
        for (let n = 0; n < step.count; n++) this.addInstance(desired.service, plan);
      } else if (step.kind === 'remove') {
        const why =
          step.reason === 'scale-down' ? 'scaled down (traffic split)' : 'its revision left the traffic split';
        for (const id of step.ids) void this.retire(desired.service, id, why);
      }
    }
  }

  async remove(service: string, reason: string): Promise<void> {
    const s = this.services.get(service);
    if (!s) return;
    await Promise.all([...s.instances.keys()].map((id) => this.retire(service, id, reason)));
  }

  forget(service: string): boolean {
    const s = this.services.get(service);
    if (s && s.instances.size > 0) return false;
    this.services.delete(service);
    return true;
  }

  replace(service: string, instanceId?: string): string[] {
    const s = this.service(service);
    const live = [...s.instances.values()].filter((i) => !i.terminating);
    const ids = live.filter((i) => instanceId === undefined || i.id === instanceId).map((i) => i.id);
    for (const id of ids) s.replace.add(id);
    return ids;
  }

  instances(service: string): InstanceView[] {
    const s = this.services.get(service);
    return [...(s?.instances.values() ?? [])].map((i) => ({
      ...i.view(),
      terminating: i.terminating,
      replacing: s?.replace.has(i.id) ?? false,
    }));
  }

  metrics(service: string): InstanceMetrics[] {
    const live = [...(this.services.get(service)?.instances.values() ?? [])].filter((i) => !i.terminating);
    return live.map((i) => {
      const cpu = i.cpuSeconds();
      return { id: i.id, ...(cpu !== undefined ? { cpuSeconds: cpu } : {}) };
    });
  }

  endpoints(service: string): EndpointList {
    const instances = [...(this.services.get(service)?.instances.values() ?? [])];
    return {
      endpoints: instances.map((i) => i.endpoint()).filter((e): e is NonNullable<typeof e> => e !== null),
      complete: instances.every((i) => i.readinessKnown()),
    };
  }

  unsupportedReason(spec: ServiceSpec): string | null {
    return this.deps.runtime.unsupportedReason(spec);
  }

  logs(service: string, query: LogQuery): Promise<string> {
    return this.logFiles.tail(service, query);
  }

  followLogs(service: string, query: LogQuery, onChunk: (text: string) => void, signal: AbortSignal): Promise<void> {
    return this.logFiles.follow(service, query, onChunk, signal);
  }

  async close(stopInstances: boolean): Promise<void> {
    if (!stopInstances) return;
    const all = [...this.services.values()].flatMap((s) => [...s.instances.values()]);
    await Promise.all(all.map((i) => i.stop('Pier is shutting down')));
  }

  private service(name: string): LocalService {
    let s = this.services.get(name);
    if (!s) {
      s = { instances: new Map(), replace: new Set() };
      this.services.set(name, s);
    }
    return s;
  }

  private addInstance(service: string, revision: RevisionPlan): void {
    const id = `${dnsLabel(service)}-${revision.revision}-${randomBytes(3).toString('hex')}`;
    const instance = this.makeInstance(service, revision, id, {});
    this.service(service).instances.set(id, instance);
    this.deps.event({
      service,
      type: 'Normal',
      reason: 'Scheduled',
      message: `Instance ${id} of revision ${revision.revision} scheduled`,
      revision: revision.revision,
      instance: id,
    });
    instance.start();
  }

  /**
   * Stops an instance and takes it out of its service once it is gone: the only
   * way an instance leaves, so a stop started anywhere (delete, scale down,
   * replacement) never leaves a Terminating ghost behind (issue 12).
   */
  private retire(service: string, id: string, why: string): Promise<void> {
    const s = this.services.get(service);
    const instance = s?.instances.get(id);
    if (!s || !instance) return Promise.resolve();
    return instance.stop(why).then(() => {
      if (s.instances.get(id) === instance) s.instances.delete(id);
      s.replace.delete(id);
      this.deps.changed(service);
    });
  }

  private makeInstance(
    service: string,
    revision: RevisionPlan,
    id: string,
    extra: Pick<InstanceInit, 'adopted' | 'restarts' | 'readiness'>,
  ): LocalInstance {
    const { home, records } = this.deps;
    const instance: LocalInstance = new LocalInstance(
      {
        id,
        service,
        revision: revision.revision,
        spec: revision.spec,
        plan: revision.plan,
        logDir: path.join(home, 'logs', service, id),
        workDir: path.join(home, 'run', service, id),
        ...extra,
      },
      {
        runtime: this.deps.runtime,
        clock: this.deps.clock,
        createProber: this.deps.createProber,
        agentStartedAt: this.agentStartedAt,
        event: (type, reason, message) =>
          this.deps.event({ service, type, reason, message, revision: revision.revision, instance: id }),
        changed: () => this.deps.changed(service),
        persist: (rec) => {
          if (rec) records.upsert(rec);
          else records.delete(id);
        },
        drain: this.deps.drain,
      },
    );
    return instance;
  }
}
