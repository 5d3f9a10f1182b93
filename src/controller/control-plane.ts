/**
 * The ControlPlane the API and CLI talk to: validates input, writes the store,
 * and leaves the instances to the Reconciler. One method per API verb, each
 * short; the file is long only because there are many verbs.
 */

import type {
  ControlPlane,
  EndpointAck,
  GatewayStatsReport,
  GroupDescription,
  GroupSummary,
  GroupTrafficRequest,
  InstanceCounts,
  InstanceView,
  LogQuery,
  ModifyRequest,
  ModifyResult,
  QueueView,
  RevisionDiff,
  ServiceDescription,
  ServiceSummary,
} from '../api/index.js';
import { type Clock, createRealClock } from '../clock.js';
import { PierError } from '../errors.js';
import type { EndpointSource } from '../gateway/index.js';
import type { Platform, InstanceView as PlatformInstanceView } from '../platform/index.js';
import type { QueueStatus } from '../queue/index.js';
import {
  diffSpecs,
  isAsyncService,
  isScaleOnlyChange,
  mergeSpec,
  redactSpec,
  type ServiceSpec,
  setPath,
  summarizeChange,
  type ValidationResult,
  validateSpec,
} from '../spec/index.js';
import { type EventRecord, generateToken, type RevisionRecord, type Store } from '../store/index.js';
import { canonicalJson, runsSame } from './equivalence.js';
import type { GatewayRegistry } from './gateways.js';
import { GroupControl } from './groups.js';
import { TrafficControl } from './traffic-control.js';
import { checkCanaryPercent } from './traffic.js';
import type { Reconciler } from './reconciler.js';

export interface ControlPlaneDeps {
  store: Store;
  reconciler: Reconciler;
  /** Where instances run: capability checks and logs go through it. */
  platform: Platform;
  endpoints: EndpointSource;
  /** Remote gateways following `endpoints`, and their drain acknowledgements. */
  gateways: GatewayRegistry;
  home: string;
  /** Public URL of the gateway, e.g. http://127.0.0.1:8080 */
  gatewayUrl: string;
  /** The autoscaler's view of a service, for `pier desc`. */
  autoscalerStatus?: (name: string) => Record<string, unknown> | undefined;
  /** Length, consumers and oldest item of an async service's queues (src/queue). */
  queueStatus?: (name: string) => QueueStatus | undefined;
  /** Requests per group and member the gateway has sent so far (the measured split). */
  groupCounts?: () => Record<string, Record<string, number>>;
  /** Where gateway replicas' counters go (src/controller/gateway-stats.ts); without it they are dropped. */
  gatewayStats?: { report(report: GatewayStatsReport): void };
  clock?: Clock;
}

const DELETE_WAIT_MS = 120_000;
/** How long a create waits for a delete of the same name in progress before answering CONFLICT. */
const CREATE_WAITS_FOR_DELETE_MS = 30_000;

export class LocalControlPlane implements ControlPlane {
  readonly endpoints: EndpointSource;

  private readonly clock: Clock;
  /** Deletes in progress, by service name. */
  private readonly deletions = new Map<string, Promise<void>>();
  private readonly groupControl: GroupControl;
  private readonly trafficControl: TrafficControl;

  constructor(private readonly deps: ControlPlaneDeps) {
    this.endpoints = deps.endpoints;
    this.clock = deps.clock ?? createRealClock();
    this.groupControl = new GroupControl({
      store: deps.store,
      endpoints: deps.endpoints,
      publish: () => deps.reconciler.publishSnapshot(),
      gatewayUrl: deps.gatewayUrl,
      ...(deps.groupCounts ? { groupCounts: deps.groupCounts } : {}),
    });
    this.trafficControl = new TrafficControl({
      store: deps.store,
      reconciler: deps.reconciler,
      platform: deps.platform,
      revisionChanged: () => this.groupsChanged(),
    });
    // Groups named by specs stored before this Pier (or before a crash) exist from the start.
    this.groupControl.sync();
  }

  groups(): GroupSummary[] {
    return this.groupControl.list();
  }

  group(name: string): GroupDescription {
    return this.groupControl.describe(name);
  }

  setGroupTraffic(name: string, req: GroupTrafficRequest): GroupDescription {
    return this.groupControl.setTraffic(name, req);
  }

  /** After a change of which revision a service runs (or of the services): groups follow, gateways hear at once. */
  private groupsChanged(): void {
    this.groupControl.sync();
    this.deps.reconciler.publishSnapshot();
  }

  watchOpened(gateway: string): void {
    this.deps.gateways.opened(gateway);
  }

  watchClosed(gateway: string): void {
    this.deps.gateways.closed(gateway);
  }

  ackEndpoints(ack: EndpointAck): void {
    this.deps.gateways.ack(ack);
  }

  reportGatewayStats(report: GatewayStatsReport): void {
    this.deps.gatewayStats?.report(report);
  }

  validate(spec: unknown): ValidationResult {
    return validateSpec(spec);
  }

  /**
   * `kept`: the revision number the spec runs as elsewhere and the older revisions, for a
   * service rebuilt from PierService objects (its pods keep running as they are).
   */
  async create(input: unknown, kept?: { revision: number; history: { number: number; spec: ServiceSpec }[] }) {
    const spec = this.checked(input);
    const { store, reconciler } = this.deps;
    await this.afterDeletion(spec.name);
    this.groupControl.checkNames(spec);
    const token = typeof spec.token === 'string' && spec.token !== '***' ? spec.token : generateToken();
    const { token: _dropped, ...stored } = spec;
    store.createService({
      name: spec.name,
      token,
      spec: stored as ServiceSpec,
      desiredInstances: initialInstances(spec),
      summary: kept ? 'rebuilt from its PierService' : 'initial',
      ...(kept ? { revision: kept.revision, history: kept.history } : {}),
    });
    reconciler.state(spec.name).everRunning = false;
    if (spec.metadata.group !== undefined) this.groupsChanged();
    reconciler.enqueue(spec.name);
    return { service: this.describe(spec.name), warnings: validateSpec(input).warnings };
  }

  list(): ServiceSummary[] {
    return this.deps.store.listServices().map((svc) => this.summary(svc.name));
  }

  describe(name: string): ServiceDescription {
    const { store } = this.deps;
    const svc = store.requireService(name);
    const revisions = store.listRevisions(name);
    const current = revisions.find((r) => r.number === svc.revision);
    const summary = this.summary(name);
    const paused = this.deps.reconciler.states.get(name)?.pausedReason;
    const previous = revisions.filter((r) => r.number !== svc.revision).at(-1)?.number;
    const autoscaler = this.deps.autoscalerStatus?.(name);
    const traffic = this.trafficControl.view(name, svc.revision, this.deps.reconciler.instances(name));
    const queues =
      current && isAsyncService(current.spec)
        ? { input: summary.endpoint, sink: `${summary.endpoint}/sink` }
        : undefined;
    const group = current?.spec.metadata.group;
    return {
      ...summary,
      ...(group ? { group: { name: group, endpoint: `${this.deps.gatewayUrl}/api/predict/${group}` } } : {}),
      ...(autoscaler ? { autoscaler } : {}),
      ...(queues ? { queues } : {}),
      token: svc.token,
      traffic,
      spec: current ? redactSpec(current.spec) : ({} as ServiceSpec),
      revisions: revisions.map((r) => ({
        number: r.number,
        createdAt: r.createdAt,
        summary: r.summary,
        current: r.number === svc.revision,
      })),
      ...(paused
        ? {
            hint: `The rollout is paused: ${paused}. Roll back with "pier version ${name} ${previous ?? '<N>'}", or change the spec with "pier modify ${name} -s FILE".`,
          }
        : {}),
    };
  }

  async modify(name: string, req: ModifyRequest): Promise<ModifyResult> {
    const { store, reconciler } = this.deps;
    const svc = store.requireService(name);
    const current = store.requireRevision(name, svc.revision).spec;
    const canary = req.traffic === undefined ? undefined : checkCanaryPercent(req.traffic);
    if (canary !== undefined) this.trafficControl.checkSupported();
    // The scaled count is the running truth; a patch that leaves it out keeps it.
    let next: unknown =
      req.replace ??
      mergeSpec({ ...current, metadata: { ...current.metadata, instance: svc.desiredInstances } }, req.patch ?? {});
    for (const [key, value] of Object.entries(req.set ?? {})) next = setPath(next, key, value);
    if (next && typeof next === 'object' && !('name' in next) && !hasMetadataName(next)) {
      next = { ...(next as object), name };
    }
    const spec = this.checked(next, name);
    if (spec.name !== name) {
      throw new PierError('SPEC_INVALID', `the service name cannot change (${name} → ${spec.name})`, {
        errors: [{ path: 'name', message: `is "${spec.name}"; it must stay "${name}". Create a new service instead.` }],
      });
    }
    this.groupControl.checkNames(spec);
    const { token: newToken, ...stored } = spec;
    if (typeof newToken === 'string' && newToken !== '***' && newToken !== svc.token) {
      store.updateService(name, { token: newToken });
    }
    const warnings = validateSpec(next).warnings;
    const base = { ...current, metadata: { ...current.metadata, instance: svc.desiredInstances } };
    const scaleOnly = isScaleOnlyChange(base as ServiceSpec, stored as ServiceSpec) || sameSpec(base, stored);
    if (scaleOnly && canary !== undefined) {
      throw new PierError('BAD_REQUEST', `a canary needs a new revision, but the spec of ${name} did not change`, {
        errors: [
          { path: 'traffic', message: 'the spec runs the same as now; change it, or leave --traffic out to scale' },
        ],
      });
    }
    if (scaleOnly) {
      const scaled = stored.metadata.instance !== svc.desiredInstances;
      if (scaled) {
        store.updateService(name, { desiredInstances: stored.metadata.instance });
        reconciler.event(
          name,
          'Normal',
          'Scaled',
          `instances ${svc.desiredInstances} → ${stored.metadata.instance}`,
          svc.revision,
        );
        reconciler.enqueue(name);
      }
      return { service: this.describe(name), newRevision: false, scaled, warnings };
    }
    const rev = store.addRevision(name, stored as ServiceSpec, summarizeChange(current, stored as ServiceSpec));
    if (canary !== undefined) {
      // Knative-style: the new revision runs beside the current one, which stays current until promoted.
      store.updateService(name, { desiredInstances: initialInstances(stored as ServiceSpec) });
      this.trafficControl.canary(name, svc.revision, rev.number, canary);
      reconciler.enqueue(name);
      reconciler.publishSnapshot();
      return { service: this.describe(name), newRevision: true, scaled: false, warnings };
    }
    this.trafficControl.clear(name, rev.number);
    store.updateService(name, { revision: rev.number, desiredInstances: initialInstances(stored as ServiceSpec) });
    const inPlace = runsSame(current, stored as ServiceSpec);
    if (current.metadata.group !== stored.metadata.group) this.groupsChanged();
    reconciler.event(
      name,
      'Normal',
      inPlace ? 'Updated' : 'Updating',
      inPlace
        ? `revision ${rev.number}: ${rev.summary} (nothing the instances run changed: they keep running)`
        : `rolling out revision ${rev.number}: ${rev.summary}`,
      rev.number,
    );
    reconciler.enqueue(name);
    return { service: this.describe(name), newRevision: true, scaled: false, warnings };
  }

  async delete(name: string): Promise<void> {
    const { store, reconciler } = this.deps;
    const svc = store.requireService(name);
    const running = this.deletions.get(name);
    if (svc.deleting && running) return running;
    store.updateService(name, { deleting: true });
    reconciler.event(name, 'Normal', 'Deleting', 'stopping every instance before removing the service');
    reconciler.enqueue(name);
    const done = (async () => {
      await reconciler.waitForNoInstances(name, DELETE_WAIT_MS);
      store.deleteService(name);
      this.groupsChanged();
      // A state left with instances that would not stop keeps the name refused (see afterDeletion).
      reconciler.forget(name);
      reconciler.enqueue(name);
    })();
    this.deletions.set(name, done);
    try {
      await done;
    } finally {
      if (this.deletions.get(name) === done) this.deletions.delete(name);
    }
  }

  /**
   * A create of a name still being deleted waits (bounded) for the delete to
   * finish, so `pier delete NAME -y && pier create NAME.json` works from two
   * clients as well; a name whose old instances are still stopping is refused
   * with CONFLICT rather than mixed with the new incarnation (issue 12).
   */
  private async afterDeletion(name: string): Promise<void> {
    const running = this.deletions.get(name);
    if (running) {
      const abort = new AbortController();
      await Promise.race([running.catch(() => undefined), this.clock.sleep(CREATE_WAITS_FOR_DELETE_MS, abort.signal)])
        .catch(() => undefined)
        .finally(() => abort.abort());
    }
    // Only stopping instances count: live ones without a service are a Deployment an earlier
    // Pier left running on Kubernetes, which this service adopts.
    const left = this.deps.reconciler.instances(name).filter((i) => i.terminating).length;
    const deleting = this.deps.store.getService(name)?.deleting === true;
    if (deleting || (left > 0 && !this.deps.store.getService(name))) {
      throw new PierError(
        'CONFLICT',
        `service ${name} is still being deleted: ${left} instance(s) stopping; retry when "pier desc ${name}" answers 404`,
      );
    }
  }

  async stop(name: string): Promise<ServiceDescription> {
    return this.setStopped(name, true);
  }

  async start(name: string): Promise<ServiceDescription> {
    return this.setStopped(name, false);
  }

  async scale(name: string, instances: number): Promise<ServiceDescription> {
    const { store, reconciler } = this.deps;
    if (!Number.isInteger(instances) || instances < 0) {
      throw new PierError('BAD_REQUEST', `instances must be a whole number ≥ 0, got ${instances}`, {
        errors: [{ path: 'instances', message: `must be a whole number ≥ 0, got ${instances}` }],
      });
    }
    const svc = store.requireService(name);
    store.updateService(name, { desiredInstances: instances });
    reconciler.event(name, 'Normal', 'Scaled', `instances ${svc.desiredInstances} → ${instances}`, svc.revision);
    reconciler.enqueue(name);
    return this.describe(name);
  }

  /**
   * A request is held for a service scaled to zero: start
   * `onZero.scaleUpActivationReplicas` instances now rather than at the next tick.
   */
  activate(name: string): void {
    this.deps.store.requireService(name);
    const svc = this.deps.store.getService(name);
    if (!svc || svc.stopped || svc.deleting || svc.desiredInstances > 0) return;
    const spec = this.deps.store.getRevision(name, svc.revision)?.spec;
    // Only a service scaled to zero by its autoscaler wakes up; `pier scale NAME 0` stays at 0.
    if (spec?.autoscaler?.min !== 0) return;
    const replicas = Math.max(1, spec?.autoscaler?.behavior.onZero.scaleUpActivationReplicas ?? 1);
    this.applyAutoscale(name, replicas, 'a request arrived while scaled to zero');
  }

  /** The autoscaler's decision: the desired count changes through the normal scaling path. */
  applyAutoscale(name: string, desired: number, reason: string): void {
    const { store, reconciler } = this.deps;
    const svc = store.getService(name);
    if (!svc || svc.deleting || svc.stopped || svc.desiredInstances === desired) return;
    store.updateService(name, { desiredInstances: desired });
    reconciler.event(
      name,
      'Normal',
      'Autoscaled',
      `instances ${svc.desiredInstances} → ${desired}: ${reason}`,
      svc.revision,
    );
    reconciler.enqueue(name);
  }

  async rollback(name: string, revision: number): Promise<ServiceDescription> {
    const { store, reconciler } = this.deps;
    const svc = store.requireService(name);
    store.requireRevision(name, revision);
    if (svc.revision !== revision) {
      this.trafficControl.clear(name, revision);
      store.updateService(name, { revision });
      this.groupsChanged();
      reconciler.event(
        name,
        'Normal',
        'Updating',
        `rolling out revision ${revision} again (was ${svc.revision})`,
        revision,
      );
      reconciler.enqueue(name);
    }
    return this.describe(name);
  }

  setTraffic(name: string, traffic: Record<string, unknown>): ServiceDescription {
    this.trafficControl.set(name, traffic);
    return this.describe(name);
  }

  promote(name: string, revision: number): ServiceDescription {
    this.trafficControl.promote(name, revision);
    return this.describe(name);
  }

  async restart(name: string, instance?: string): Promise<ServiceDescription> {
    const svc = this.deps.store.requireService(name);
    const ids = this.deps.reconciler.markForReplacement(name, instance);
    if (instance !== undefined && ids.length === 0) {
      throw new PierError(
        'INSTANCE_NOT_FOUND',
        `instance "${instance}" of service "${name}" is not running; see "pier w ${name}"`,
      );
    }
    this.deps.reconciler.event(
      name,
      'Normal',
      'Restarting',
      instance ? `replacing instance ${instance}` : `replacing ${ids.length} instance(s) one by one`,
      svc.revision,
    );
    return this.describe(name);
  }

  diff(name: string, from: number, to: number): RevisionDiff {
    const { store } = this.deps;
    const a = store.requireRevision(name, from).spec;
    const b = store.requireRevision(name, to).spec;
    return { from, to, changes: diffSpecs(redactSpec(a), redactSpec(b)) };
  }

  revisions(name: string): RevisionRecord[] {
    this.deps.store.requireService(name);
    return this.deps.store.listRevisions(name).map((r) => ({ ...r, spec: redactSpec(r.spec) }));
  }

  queue(name: string): QueueView {
    const svc = this.deps.store.requireService(name);
    const spec = this.deps.store.getRevision(name, svc.revision)?.spec;
    if (!spec || !isAsyncService(spec)) {
      throw new PierError('BAD_REQUEST', `${name} is not an async service (metadata.type "Async"); it has no queues`);
    }
    const endpoint = `${this.deps.gatewayUrl}/api/predict/${name}`;
    const st = this.deps.queueStatus?.(name);
    const empty = { length: 0, consumers: 0 };
    return {
      input: { endpoint, ...(st?.input ?? empty) },
      sink: { endpoint: `${endpoint}/sink`, ...(st?.sink ?? empty) },
      instances: st?.instances ?? 0,
    };
  }

  instances(name: string): InstanceView[] {
    this.deps.store.requireService(name);
    return this.deps.reconciler
      .instances(name)
      .map(apiView)
      .sort((a, b) => a.revision - b.revision || a.id.localeCompare(b.id));
  }

  events(name: string, query?: { sinceId?: number; limit?: number }): EventRecord[] {
    this.deps.store.requireService(name);
    return this.deps.store.listEvents(name, query);
  }

  async logs(name: string, query: LogQuery = {}): Promise<string> {
    this.deps.store.requireService(name);
    return this.deps.platform.logs(name, query);
  }

  async followLogs(name: string, query: LogQuery, onChunk: (text: string) => void, signal: AbortSignal): Promise<void> {
    this.deps.store.requireService(name);
    return this.deps.platform.followLogs(name, query, onChunk, signal);
  }

  private async setStopped(name: string, stopped: boolean): Promise<ServiceDescription> {
    const { store, reconciler } = this.deps;
    const svc = store.requireService(name);
    if (svc.stopped !== stopped) {
      store.updateService(name, { stopped });
      reconciler.event(
        name,
        'Normal',
        stopped ? 'Stopping' : 'Starting',
        stopped ? 'stopping every instance' : `starting ${svc.desiredInstances} instance(s)`,
      );
      if (!stopped) reconciler.state(name).everRunning = false;
      reconciler.enqueue(name);
    }
    return this.describe(name);
  }

  private checked(input: unknown, fallbackName?: string): ServiceSpec {
    const result = validateSpec(input);
    if (!result.ok || !result.spec) {
      const n = result.errors.length;
      throw new PierError(
        'SPEC_INVALID',
        `the spec${(result.name ?? fallbackName) ? ` of "${result.name ?? fallbackName}"` : ''} has ${n} error${n === 1 ? '' : 's'}`,
        {
          errors: result.errors,
          warnings: result.warnings,
        },
      );
    }
    const unsupported = this.deps.platform.unsupportedReason(result.spec);
    if (unsupported) throw new PierError('RUNTIME_UNSUPPORTED', unsupported);
    return result.spec;
  }

  private summary(name: string): ServiceSummary {
    const svc = this.deps.store.requireService(name);
    const state = this.deps.reconciler.states.get(name);
    const views = this.deps.reconciler.instances(name).map(apiView);
    const status = state?.status ?? { status: 'Creating' as const };
    return {
      name,
      status: status.status,
      ...(status.reason ? { reason: status.reason } : {}),
      ...(status.message ? { message: status.message } : {}),
      revision: svc.revision,
      desired: svc.stopped ? 0 : svc.desiredInstances,
      instances: countInstances(views),
      endpoint: `${this.deps.gatewayUrl}/api/predict/${name}`,
      createdAt: svc.createdAt,
      updatedAt: svc.updatedAt,
    };
  }
}

/** `pier create` progress counts: Running means running and ready. */
export function countInstances(views: InstanceView[]): InstanceCounts {
  const ready = views.filter((v) => v.ready).length;
  return { total: views.length, pending: views.length - ready, running: ready, ready };
}

/** The API's view: the platform's bookkeeping fields (terminating, replacing) stay out. */
function apiView(v: PlatformInstanceView): InstanceView {
  const { terminating: _t, replacing: _r, ...view } = v;
  return view;
}

function initialInstances(spec: ServiceSpec): number {
  if (spec.autoscaler) return Math.min(spec.autoscaler.max, Math.max(spec.autoscaler.min, spec.metadata.instance));
  return spec.metadata.instance;
}

function hasMetadataName(spec: object): boolean {
  const md = (spec as { metadata?: unknown }).metadata;
  return typeof md === 'object' && md !== null && 'name' in md;
}

function sameSpec(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
