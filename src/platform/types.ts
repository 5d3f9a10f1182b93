/**
 * The seam between the controller and where instances run (docs/design.md, "Two
 * platforms, one set of decisions"). The controller decides what should run — a
 * revision's plan × replicas, the rollout strategy — and the platform carries it
 * out and reports what runs. Nothing here names a process, a pid or a log file.
 */

import type { InstanceView as ApiInstanceView, LogQuery } from '../api/index.js';
import type { Endpoint } from '../gateway/index.js';
import type { ServiceSpec } from '../spec/index.js';
import type { EventType } from '../store/index.js';
import type { InstancePlan } from './plan/index.js';

/** One revision as a platform runs it: the normalized spec and the plan made from it. */
export interface RevisionPlan {
  revision: number;
  spec: ServiceSpec;
  plan: InstancePlan;
}

/** What should run for one service, as decided by the controller. */
export interface DesiredState {
  service: string;
  /** The current revision: new instances run it. */
  current: RevisionPlan;
  replicas: number;
  /** Resolved against `replicas` (resolveRollingStrategy), as a Deployment's RollingUpdate. */
  strategy: { maxSurge: number; maxUnavailable: number; minReadySeconds: number };
  /** Older revisions that run the same thing as `current`: their instances join it in place. */
  equivalent: number[];
  /**
   * Set while the service splits its traffic between revisions (Knative-style):
   * each revision of the split runs its own `replicas`, `replicas` above is
   * their sum, and instances of every other revision are drained and stopped
   * once each revision has its count available. Absent: `current` × `replicas`
   * with a rolling update.
   */
  tracks?: RevisionTrack[];
}

/** One revision of a traffic split and the instances it runs. */
export interface RevisionTrack {
  revision: RevisionPlan;
  replicas: number;
}

/** An instance as every platform reports it (a process, a container or a pod). */
export interface InstanceView extends ApiInstanceView {
  /** Being stopped; no longer counts toward the desired replicas. */
  terminating: boolean;
  /** Marked by `replace`: planned as if it ran an older revision until a new one is available. */
  replacing: boolean;
}

/** Usage of one instance, for the autoscaler (read on its tick only: it may be costly, e.g. /proc scans). */
export interface InstanceMetrics {
  id: string;
  /** CPU seconds used so far; absent when unknown. */
  cpuSeconds?: number;
}

/** The ready endpoints of a service, and whether every instance's readiness is known yet. */
export interface EndpointList {
  endpoints: Endpoint[];
  /** False while an instance's readiness is unknown (re-adopted, not probed yet): a snapshot may be incomplete. */
  complete: boolean;
}

/**
 * Where the gateway's endpoints come from: the controller joins these with each
 * service's route (token, limits, groups) into the gateway's EndpointSource snapshots.
 */
export interface EndpointSource {
  endpoints(service: string): EndpointList;
}

export interface PlatformEvent {
  service: string;
  type: EventType;
  reason: string;
  message: string;
  revision?: number;
  instance?: string;
}

/** Looks up a stored revision (for re-attaching instances an earlier Pier left running). */
export type RevisionLookup = (service: string, revision: number) => RevisionPlan | undefined;

export interface Platform extends EndpointSource {
  readonly kind: 'local' | 'kubernetes';
  /** Re-attaches to what an earlier Pier left running; instances of unknown revisions are stopped. */
  start(lookup: RevisionLookup): Promise<void>;
  /** Moves the service one step toward `desired`; safe to call again (it converges). */
  apply(desired: DesiredState): void;
  /** Stops every instance of the service; resolves when none is left. */
  remove(service: string, reason: string): Promise<void>;
  /** Forgets a removed service; false while some of its instances are still stopping. */
  forget(service: string): boolean;
  /** Marks instances (one, or all live ones) to be replaced by the rollout; returns the ids marked. */
  replace(service: string, instanceId?: string): string[];
  /** Every instance of the service, terminating ones included. */
  instances(service: string): InstanceView[];
  /** Usage of the service's live instances. */
  metrics(service: string): InstanceMetrics[];
  /** Why this platform cannot run `spec` (an image without podman, more GPUs than exist), or null. */
  unsupportedReason(spec: ServiceSpec): string | null;
  logs(service: string, query: LogQuery): Promise<string>;
  followLogs(service: string, query: LogQuery, onChunk: (text: string) => void, signal: AbortSignal): Promise<void>;
  /** Stops watching; with `stopInstances`, stops every instance too. */
  close(stopInstances: boolean): Promise<void>;
}

/** What a platform reports back to the controller. */
export interface PlatformListener {
  event(e: PlatformEvent): void;
  /** Something the controller or the gateway reads about `service` changed. */
  changed(service: string): void;
}
