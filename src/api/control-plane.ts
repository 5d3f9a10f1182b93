/**
 * What the REST API and the console need from the control plane. The controller
 * implements it; the API only translates HTTP to these calls and back.
 */

import type { EndpointSource } from '../gateway/index.js';
import type { ServiceSpec, ValidationResult } from '../spec/index.js';
import type { EventRecord, RevisionRecord } from '../store/index.js';
import type { ProbeKind, ProbeOutcome } from '../probe/index.js';
import type { ExitInfo } from '../runtime/index.js';

export type ServiceStatus =
  | 'Creating'
  | 'Waiting'
  | 'Running'
  | 'Updating'
  | 'Scaling'
  | 'Stopping'
  | 'Stopped'
  | 'Failed'
  | 'Deleting';

export type InstanceState = 'Pending' | 'Starting' | 'Running' | 'CrashLoopBackOff' | 'Terminating' | 'Failed';

export interface InstanceCounts {
  total: number;
  pending: number;
  running: number;
  ready: number;
}

export interface ServiceSummary {
  name: string;
  status: ServiceStatus;
  /** Why the status is what it is, when not plainly Running: "no runtime yet", "instance x: CrashLoopBackOff …". */
  reason?: string;
  message?: string;
  revision: number;
  desired: number;
  instances: InstanceCounts;
  /** Gateway URL of the service: http://host:port/api/predict/<name> */
  endpoint: string;
  createdAt: number;
  updatedAt: number;
}

export interface RevisionSummary {
  number: number;
  createdAt: number;
  summary: string;
  current: boolean;
}

/** An async service's two queues (`pier queue NAME`, `desc`). */
export interface QueueView {
  input: QueueSideView;
  sink: QueueSideView;
  /** Instances the dispatcher feeds from the input queue. */
  instances: number;
}

export interface QueueSideView {
  endpoint: string;
  length: number;
  consumers: number;
  oldest?: { index: number; ageMs: number };
}

export interface ServiceDescription extends ServiceSummary {
  token: string;
  /** The service group the current revision names (`metadata.group`), with the group's endpoint. */
  group?: { name: string; endpoint: string };
  /** Async services: the input and sink queue endpoints. */
  queues?: { input: string; sink: string };
  /** The current revision's spec with secrets (dockerAuth, token) shown as '***'. */
  spec: ServiceSpec;
  revisions: RevisionSummary[];
  /** Present while a rollout or another operation has something to say (e.g. how to go on). */
  hint?: string;
  /** The autoscaler's state: metric values, desired count, last decision and why, burst mode. */
  autoscaler?: Record<string, unknown>;
  /**
   * How traffic is split between revisions (Knative-style): without a split, the
   * current revision alone at 100%. `readyInstances`: its ready instances now.
   */
  traffic: RevisionTrafficView[];
}

export interface RevisionTrafficView {
  revision: number;
  percent: number;
  readyInstances: number;
}

/**
 * An instance's platform-specific details. Each platform adds its own member,
 * told apart by `kind`; clients show what they know and skip the rest.
 */
export type InstancePlatformDetail = LocalInstanceDetail | KubernetesInstanceDetail;

export interface KubernetesInstanceDetail {
  kind: 'kubernetes';
  /** The node the pod is bound to; absent while unscheduled. */
  node?: string;
}

export interface LocalInstanceDetail {
  kind: 'local';
  /** Which local runtime started it. */
  runtime: 'process' | 'container';
  /** The process group (process runtime) or the container's main process; absent before it starts. */
  pid?: number;
}

export interface InstanceView {
  id: string;
  service: string;
  revision: number;
  state: InstanceState;
  ready: boolean;
  restarts: number;
  /** "127.0.0.1:40123", or null before the instance has a port. */
  address: string | null;
  /** Where it runs, in the platform's own terms, for operators; nothing in Pier decides on it. */
  platform?: InstancePlatformDetail;
  startedAt: number | null;
  reason?: string;
  message?: string;
  lastState?: ExitInfo;
  probes: Partial<Record<ProbeKind, ProbeOutcome & { at: number }>>;
}

export interface ModifyRequest {
  /** Partial spec merged into the current one: objects merge by key, lists replace. */
  patch?: unknown;
  /** Whole spec that replaces the current one (`--replace`). */
  replace?: unknown;
  /** Dotted-path sets (`-D metadata.instance=3`); values already parsed (JSON where it parses, else string). */
  set?: Record<string, unknown>;
  /**
   * A canary (`--traffic N`): the new revision starts next to the current one and
   * takes N% (1–99) of the traffic, instead of a rolling replacement.
   */
  traffic?: number;
}

export interface ModifyResult {
  service: ServiceDescription;
  /** A new revision was made and is being rolled out. */
  newRevision: boolean;
  /** Only the instance count changed. */
  scaled: boolean;
  warnings: { path: string; message: string }[];
}

export interface RevisionDiff {
  from: number;
  to: number;
  changes: { path: string; from: unknown; to: unknown }[];
}

export interface LogQuery {
  instance?: string;
  /** Last N lines (default 200). */
  tail?: number;
}

/**
 * A remote gateway's acknowledgement (`POST /api/v1/endpoints/ack`): it applied
 * snapshot `version`, and has `inflight[id]` requests still running to each
 * instance it no longer routes to (absent means 0).
 */
export interface EndpointAck {
  gateway: string;
  version: number;
  inflight: Record<string, number>;
}

/**
 * What a gateway replica counted so far (`POST /api/v1/gateways/stats`, about once a
 * second): per service, its cumulative requests and the requests in flight now to each
 * instance, the requests its activator holds, and its group counts. The control plane's
 * autoscaler sums the replicas' reports (src/controller/gateway-stats.ts).
 */
export interface GatewayStatsReport {
  gateway: string;
  services: Record<string, { pending?: number; instances: Record<string, { requests: number; inflight: number }> }>;
  groups?: Record<string, Record<string, number>>;
}

/** One member of a service group as `pier group desc` shows it. */
export interface GroupMemberView {
  service: string;
  /** The custom weight (0–1000); what counts in `custom` mode. */
  weight: number;
  /** Takes no group traffic; reachable as `<group>.<service>` and by `X-Pier-Service`. */
  standalone: boolean;
  /** Ready instances now. */
  ready: number;
  /** Percent of the group's traffic it gets now (0 without a ready instance). */
  share: number;
  /** Requests the gateway sent it through the group endpoint so far (the measured split). */
  requests: number;
}

export interface GroupSummary {
  name: string;
  /** `auto`: in proportion to ready instances; `custom`: by weight. */
  mode: 'auto' | 'custom';
  affinity?: { kind: 'header' | 'cookie'; key: string };
  /** Gateway URL of the group: http://host:port/api/predict/<group> */
  endpoint: string;
  members: GroupMemberView[];
  createdAt: number;
}

export interface GroupDescription extends GroupSummary {
  /** The group token: opens the group endpoint and every `<group>.<service>`. */
  token: string;
}

/** A traffic change (`pier group traffic`, `PATCH /api/v1/groups/{name}/traffic`); absent fields stay. */
export interface GroupTrafficRequest {
  mode?: 'auto' | 'custom';
  /** Custom weights, 0–1000, by member. */
  weights?: Record<string, number>;
  /** true: the member takes no group traffic; false: it takes its share again. */
  standalone?: Record<string, boolean>;
  /** Sticky routing by a header or a cookie; null turns it off. */
  affinity?: { header: string } | { cookie: string } | null;
}

export interface ControlPlane {
  /** Service groups, by name. */
  groups(): GroupSummary[];
  /** Throws PierError GROUP_NOT_FOUND. */
  group(name: string): GroupDescription;
  /** Throws GROUP_NOT_FOUND, or BAD_REQUEST (with paths) for a weight or member that does not fit. */
  setGroupTraffic(name: string, req: GroupTrafficRequest): GroupDescription;
  validate(spec: unknown): ValidationResult;
  /** Throws PierError SPEC_INVALID (with errors) or SERVICE_EXISTS. */
  create(spec: unknown): Promise<{ service: ServiceDescription; warnings: { path: string; message: string }[] }>;
  list(): ServiceSummary[];
  /** Throws PierError SERVICE_NOT_FOUND. */
  describe(name: string): ServiceDescription;
  modify(name: string, req: ModifyRequest): Promise<ModifyResult>;
  delete(name: string): Promise<void>;
  stop(name: string): Promise<ServiceDescription>;
  start(name: string): Promise<ServiceDescription>;
  scale(name: string, instances: number): Promise<ServiceDescription>;
  /**
   * Sets the traffic split between revisions (revision → whole percent, summing to
   * 100; 0% drops a revision). Throws BAD_REQUEST with paths `traffic.<revision>`,
   * or TRAFFIC_UNSUPPORTED on a platform that cannot run a split.
   */
  setTraffic(name: string, traffic: Record<string, unknown>): ServiceDescription;
  /** 100% to revision N, which becomes the current one; every other revision's instances drain and go. */
  promote(name: string, revision: number): ServiceDescription;
  /** Rolls revision N out again (`pier version NAME N`); throws REVISION_NOT_FOUND. */
  rollback(name: string, revision: number): Promise<ServiceDescription>;
  /**
   * Replaces every instance (or one, with `instance`) through the rolling path:
   * a new instance becomes ready before the old one is drained (EAS restart).
   */
  restart(name: string, instance?: string): Promise<ServiceDescription>;
  /**
   * A gateway holds a request for a service scaled to zero: start
   * `onZero.scaleUpActivationReplicas` instances now. A no-op otherwise.
   */
  activate(name: string): void;
  /** What changed between two revisions' specs. */
  diff(name: string, from: number, to: number): RevisionDiff;
  revisions(name: string): RevisionRecord[];
  instances(name: string): InstanceView[];
  /** An async service's queues; throws BAD_REQUEST for a synchronous service. */
  queue(name: string): QueueView;
  events(name: string, query?: { sinceId?: number; limit?: number }): EventRecord[];
  /** Last lines of an instance's log (or of every instance, each line prefixed with its id). */
  logs(name: string, query?: LogQuery): Promise<string>;
  /** Streams new log output until the signal aborts. */
  followLogs(name: string, query: LogQuery, onChunk: (text: string) => void, signal: AbortSignal): Promise<void>;
  /** Endpoint snapshots for remote gateways (`pier gateway --control URL`). */
  readonly endpoints: EndpointSource;
  /**
   * A remote gateway opened / closed its endpoint watch (`?gateway=<id>`); while
   * open, instances are not signalled before it acknowledges their drain.
   */
  watchOpened(gateway: string): void;
  watchClosed(gateway: string): void;
  /** Records a remote gateway's acknowledgement; acks of gateways not watching are ignored. */
  ackEndpoints(ack: EndpointAck): void;
  /** Records a gateway replica's counters for the autoscaler (`pier gateway`, either mode). */
  reportGatewayStats(report: GatewayStatsReport): void;
}
