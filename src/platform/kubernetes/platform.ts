/**
 * The Kubernetes platform: each service is a Deployment (plus its Service and
 * pull Secret) that Pier server-side-applies; the Deployment controller rolls it
 * out and the pods are the instances. Pier watches Deployments, pods,
 * EndpointSlices and Events, and reports them through the same Platform seam as
 * the local platform, so the controller, the API and the gateway do not change.
 * Translation to objects is pure (translate/); this file does the I/O.
 */

import type {
  CoreV1Event,
  KubernetesObject,
  V1Deployment,
  V1EndpointSlice,
  V1Node,
  V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LogQuery } from '../../api/index.js';
import type { Clock } from '../../clock.js';
import { PierError, TRAFFIC_SPLIT_UNSUPPORTED } from '../../errors.js';
import type { ServiceSpec } from '../../spec/index.js';
import { prefixLines } from '../local/logs.js';
import type {
  DesiredState,
  EndpointList,
  InstanceMetrics,
  InstanceView,
  Platform,
  PlatformListener,
  RevisionLookup,
} from '../types.js';
import { BurstPatcher, burstActions } from './burst.js';
import { apiMessage, type KubeClient, statusCode } from './client.js';
import { eventKey, platformEvent } from './events.js';
import {
  PAUSED_ANNOTATION,
  pauseDecision,
  podInstance,
  podRevision,
  RESTARTED_ANNOTATION,
  REVISION_ANNOTATION,
  rolloutState,
  sliceEndpoints,
} from './observe.js';
import {
  ANNOTATIONS,
  DEFAULT_ELASTIC_NODES,
  type ElasticNodes,
  type KubeObject,
  kubeName,
  kubernetesUnsupported,
  LABELS,
  pullSecretName,
  translateService,
} from './translate/index.js';
import { type WatchedKind, watchKind } from './watch.js';

export interface KubernetesPlatformDeps extends PlatformListener {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  /** Image for containers that give only a command or a script. */
  defaultImage: string;
  /** How elastic nodes are found and tolerated (translate/placement.ts); default virtual-kubelet's. */
  elasticNodes?: ElasticNodes;
}

interface ServiceState {
  name: string;
  desired?: DesiredState;
  /** JSON of each object as last applied, by kind/name: unchanged objects are not sent again. */
  applied: Map<string, string>;
  /** A sync is running; `again` asks for one more after it. */
  syncing: boolean;
  again: boolean;
  /** The last apply failure, until an apply succeeds (the reconciler records it as an event). */
  error?: string;
  /** Set by `replace`: the pod template's restart stamp, and the pods it replaces. */
  restartedAt?: string;
  replacing: Set<string>;
  removing: boolean;
}

export class KubernetesPlatform implements Platform {
  readonly kind = 'kubernetes' as const;
  private readonly services = new Map<string, ServiceState>();
  /** kubeName → EAS service name, for objects that carry only the label. */
  private readonly byKubeName = new Map<string, string>();
  private readonly removeWaiters = new Set<{ service: string; resolve(): void }>();
  private readonly seenEvents = new Set<string>();
  private deployments?: WatchedKind<V1Deployment>;
  private pods?: WatchedKind<V1Pod>;
  private slices?: WatchedKind<V1EndpointSlice>;
  private events?: WatchedKind<CoreV1Event>;
  private nodes?: WatchedKind<V1Node>;
  private readonly elastic: ElasticNodes;
  private readonly burster: BurstPatcher;
  private readonly startedAt: number;

  constructor(private readonly deps: KubernetesPlatformDeps) {
    this.startedAt = deps.clock.now();
    this.elastic = deps.elasticNodes ?? DEFAULT_ELASTIC_NODES;
    this.burster = new BurstPatcher(deps.client, deps.logger, (e) => deps.event(e));
  }

  async start(lookup: RevisionLookup): Promise<void> {
    const { client, clock, logger } = this.deps;
    const ns = client.namespace;
    try {
      await client.core.readNamespace({ name: ns });
    } catch (err) {
      throw new PierError(
        'KUBERNETES_CONFIG',
        statusCode(err) === 404
          ? `namespace "${ns}" does not exist: create it (kubectl create namespace ${ns}) or pass --namespace`
          : `cannot reach the Kubernetes API at ${client.config.getCurrentCluster()?.server}: ${apiMessage(err)}`,
        { cause: err },
      );
    }
    const managed = `${LABELS.managedBy}=pier`;
    const common = { kubeconfig: client.config, clock, logger };
    this.deployments = watchKind<V1Deployment>({
      ...common,
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      list: () => client.apps.listNamespacedDeployment({ namespace: ns, labelSelector: managed }),
      labelSelector: managed,
      changed: (d) => this.touched(d),
    });
    this.pods = watchKind<V1Pod>({
      ...common,
      path: `/api/v1/namespaces/${ns}/pods`,
      list: () => client.core.listNamespacedPod({ namespace: ns, labelSelector: LABELS.service }),
      labelSelector: LABELS.service,
      changed: (p) => this.touched(p),
    });
    // The EndpointSlice controller copies the Service's labels onto its slices.
    this.slices = watchKind<V1EndpointSlice>({
      ...common,
      path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      list: () => client.discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: LABELS.service }),
      labelSelector: LABELS.service,
      changed: (s) => this.touched(s),
    });
    this.events = watchKind<CoreV1Event>({
      ...common,
      path: `/api/v1/namespaces/${ns}/events`,
      list: () => client.core.listNamespacedEvent({ namespace: ns }),
      changed: (e) => (e ? this.kubeEvent(e) : undefined),
    });
    const elasticSelector = Object.entries(this.elastic.nodeSelector)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    this.nodes = watchKind<V1Node>({
      ...common,
      path: '/api/v1/nodes',
      list: () => client.core.listNode({ labelSelector: elasticSelector }),
      labelSelector: elasticSelector,
      changed: () => this.touched(undefined),
    });
    // Without the right to list nodes, bursting is off; everything else works.
    this.nodes.synced.catch((err) =>
      logger.warn({ err: apiMessage(err) }, 'cannot list nodes: elastic bursting is off'),
    );
    await Promise.all([this.deployments.synced, this.pods.synced, this.slices.synced]);
    for (const d of this.deployments.list()) {
      const service = d.metadata?.annotations?.[ANNOTATIONS.serviceName];
      const revision = Number(d.metadata?.annotations?.[REVISION_ANNOTATION]);
      if (!service) continue;
      this.byKubeName.set(d.metadata?.name ?? '', service);
      // Left alone, never deleted: its PierService is imported next (a new replica), or
      // another Pier owns it.
      if (!lookup(service, revision))
        logger.info({ deployment: d.metadata?.name }, 'Deployment of a service not in the store yet');
    }
  }

  apply(desired: DesiredState): void {
    // One Deployment per service runs one revision: a split between revisions would need
    // a Deployment per revision. Refused rather than half done (the control plane refuses it first).
    if (desired.tracks) throw new PierError('TRAFFIC_UNSUPPORTED', TRAFFIC_SPLIT_UNSUPPORTED);
    const s = this.state(desired.service);
    s.desired = desired;
    s.removing = false;
    this.byKubeName.set(kubeName(desired.service), desired.service);
    void this.sync(s);
    if (s.error) throw new PierError('KUBERNETES_API', s.error);
  }

  async remove(service: string, reason: string): Promise<void> {
    const s = this.state(service);
    s.removing = true;
    s.desired = undefined;
    s.applied.clear();
    const name = kubeName(service);
    this.deps.logger.info({ service, reason }, 'deleting the Deployment');
    try {
      await this.deps.client.deleteDeployment(name);
      // Deleted too in case they were made before the Deployment could own them.
      await this.deleteOwned(service);
    } catch (err) {
      this.deps.event({ service, type: 'Warning', reason: 'DeleteFailed', message: apiMessage(err) });
      throw new PierError('KUBERNETES_API', `deleting ${name}: ${apiMessage(err)}`, { cause: err });
    }
    if (this.gone(service)) return;
    await new Promise<void>((resolve) => this.removeWaiters.add({ service, resolve }));
  }

  forget(service: string): boolean {
    if (!this.gone(service)) return false;
    this.services.delete(service);
    return true;
  }

  replace(service: string, instanceId?: string): string[] {
    const s = this.state(service);
    const live = this.podsOf(service).filter((p) => !p.metadata?.deletionTimestamp);
    const ids = live.map((p) => p.metadata?.name ?? '').filter((id) => instanceId === undefined || id === instanceId);
    if (instanceId !== undefined) {
      // One pod: deleting it lets its ReplicaSet make a fresh one (the surge-less way Kubernetes has).
      for (const id of ids) void this.deletePod(service, id);
      return ids;
    }
    // The whole service: a new template stamp, as `kubectl rollout restart` does.
    s.restartedAt = new Date(this.deps.clock.now()).toISOString();
    for (const id of ids) s.replacing.add(id);
    void this.sync(s);
    return ids;
  }

  instances(service: string): InstanceView[] {
    const deployment = this.deploymentOf(service);
    const s = this.services.get(service);
    return this.podsOf(service).map((pod) =>
      podInstance(
        pod,
        service,
        podRevision(pod, deployment),
        servingPortOf(pod),
        s?.replacing.has(pod.metadata?.name ?? '') ?? false,
      ),
    );
  }

  /** Kubernetes has no CPU counter for Pier without metrics-server: the autoscaler uses gateway metrics. */
  metrics(service: string): InstanceMetrics[] {
    return this.instances(service)
      .filter((i) => !i.terminating)
      .map((i) => ({ id: i.id }));
  }

  endpoints(service: string): EndpointList {
    const name = kubeName(service);
    const deployment = this.deploymentOf(service);
    const pods = new Map(this.podsOf(service).map((p) => [p.metadata?.name ?? '', p]));
    const slices = (this.slices?.list() ?? []).filter(
      (sl) => sl.metadata?.labels?.['kubernetes.io/service-name'] === name,
    );
    const endpoints = sliceEndpoints(slices, (pod) => {
      const p = pods.get(pod);
      return p ? podRevision(p, deployment) : undefined;
    });
    return {
      endpoints,
      complete: (this.slices?.healthy() ?? false) && (this.pods?.healthy() ?? false),
    };
  }

  unsupportedReason(spec: ServiceSpec): string | null {
    return kubernetesUnsupported(spec);
  }

  async logs(service: string, query: LogQuery): Promise<string> {
    const pods = this.logPods(service, query.instance);
    const parts = await Promise.all(
      pods.map(async (pod) => {
        try {
          const text = await this.deps.client.podLog(pod, 'serving', { tailLines: query.tail ?? 200 });
          return query.instance ? text : prefixLines(text, pod);
        } catch (err) {
          throw new PierError('KUBERNETES_API', `logs of pod ${pod}: ${apiMessage(err)}`, { cause: err });
        }
      }),
    );
    return parts.join('');
  }

  async followLogs(
    service: string,
    query: LogQuery,
    onChunk: (text: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const pods = this.logPods(service, query.instance);
    // One pod's failure stops the other streams too: the response ends with the first error.
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    await Promise.all(
      pods.map(async (pod) => {
        // Prefixed, only whole lines go out, so that two pods' chunks never meet mid-line.
        let partial = '';
        const prefixed = (text: string) => {
          const whole = partial + text;
          const end = whole.lastIndexOf('\n') + 1;
          partial = whole.slice(end);
          if (end > 0) onChunk(prefixLines(whole.slice(0, end), pod));
        };
        try {
          await this.deps.client.followPodLog(pod, 'serving', query.instance ? onChunk : prefixed, both);
          if (partial && !signal.aborted) onChunk(prefixLines(`${partial}\n`, pod));
        } catch (err) {
          stop.abort();
          throw new PierError('KUBERNETES_API', `logs of pod ${pod}: ${apiMessage(err)}`, { cause: err });
        }
      }),
    );
  }

  /** Stops watching. Pods keep running either way: the cluster, not this process, runs them. */
  async close(_stopInstances: boolean): Promise<void> {
    await Promise.all([this.deployments, this.pods, this.slices, this.events, this.nodes].map((w) => w?.stop()));
    for (const w of this.removeWaiters) w.resolve();
    this.removeWaiters.clear();
  }

  private state(name: string): ServiceState {
    let s = this.services.get(name);
    if (!s) {
      s = { name, applied: new Map(), syncing: false, again: false, replacing: new Set(), removing: false };
      this.services.set(name, s);
    }
    return s;
  }

  private deploymentOf(service: string): V1Deployment | undefined {
    const name = kubeName(service);
    return this.deployments?.list().find((d) => d.metadata?.name === name);
  }

  private podsOf(service: string): V1Pod[] {
    const name = kubeName(service);
    return (this.pods?.list() ?? [])
      .filter((p) => p.metadata?.labels?.[LABELS.service] === name)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  }

  private logPods(service: string, instance: string | undefined): string[] {
    const names = this.podsOf(service).map((p) => p.metadata?.name ?? '');
    if (instance === undefined) return names;
    if (!names.includes(instance)) {
      throw new PierError(
        'INSTANCE_NOT_FOUND',
        `instance "${instance}" of service "${service}" is not a pod now; see "pier w ${service}"`,
      );
    }
    return [instance];
  }

  private gone(service: string): boolean {
    return this.podsOf(service).length === 0 && this.deploymentOf(service) === undefined;
  }

  /** Serializes applies per service: one sync at a time, and one more if asked meanwhile. */
  private async sync(s: ServiceState): Promise<void> {
    if (s.syncing) {
      s.again = true;
      return;
    }
    s.syncing = true;
    try {
      do {
        s.again = false;
        if (!s.desired || s.removing) break;
        await this.syncOnce(s, s.desired);
      } while (s.again);
      s.error = undefined;
    } catch (err) {
      const message = apiMessage(err);
      if (message !== s.error) this.deps.logger.warn({ service: s.name, err: message }, 'apply failed');
      s.error = message;
      s.applied.clear(); // what the cluster has is unknown now: send everything next time
    } finally {
      s.syncing = false;
    }
  }

  private async syncOnce(s: ServiceState, desired: DesiredState): Promise<void> {
    const { client } = this.deps;
    const existing = this.deploymentOf(s.name);
    const objects = translateService({
      desired,
      config: this.translateConfig(),
      ...(existing?.metadata?.uid ? { ownerUid: existing.metadata.uid } : {}),
    });
    const [deployment, ...owned] = objects as [KubeObject, ...KubeObject[]];
    this.decorate(s, deployment, existing, desired);
    let uid = existing?.metadata?.uid;
    if (!existing && !s.applied.has(key(deployment))) {
      uid = await this.create(deployment);
      s.applied.set(key(deployment), JSON.stringify(deployment));
    } else {
      // replicas belong to the scale subresource (below), not to Pier's applied configuration.
      const { replicas: _replicas, ...spec } = deployment.spec as Record<string, unknown>;
      await this.applyIfChanged(s, { ...deployment, spec });
      if ((existing?.spec?.replicas ?? -1) !== desired.replicas && existing) {
        await client.scale(existing.metadata?.name ?? '', desired.replicas);
      }
    }
    const withOwner = uid
      ? translateService({
          desired,
          config: this.translateConfig(),
          ownerUid: uid,
        }).slice(1)
      : owned;
    for (const obj of withOwner) await this.applyIfChanged(s, obj);
  }

  /**
   * What only the platform knows: the restart stamp, and the pause. A rollout
   * past its progress deadline is paused, as the "pause the Deployment"
   * asks (the Deployment controller itself only reports it); a new current
   * revision (`pier version`, `pier modify`) resumes.
   * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment
   */
  private decorate(s: ServiceState, obj: KubeObject, existing: V1Deployment | undefined, desired: DesiredState): void {
    const spec = obj.spec as { paused?: boolean; template: { metadata: { annotations?: Record<string, string> } } };
    const restartedAt = s.restartedAt ?? existing?.spec?.template?.metadata?.annotations?.[RESTARTED_ANNOTATION];
    if (restartedAt) {
      spec.template.metadata.annotations = {
        ...spec.template.metadata.annotations,
        [RESTARTED_ANNOTATION]: restartedAt,
      };
    }
    const current = String(desired.current.revision);
    const decision = pauseDecision(existing, desired.current.revision);
    if (decision === 'pause' && existing) {
      const rollout = rolloutState(existing);
      this.deps.event({
        service: s.name,
        type: 'Warning',
        reason: 'DeploymentPaused',
        message: `Deployment ${existing.metadata?.name} paused: revision ${current} exceeded its progress deadline (${rollout.updated} updated, ${rollout.available} available)`,
        revision: desired.current.revision,
      });
    }
    const paused = decision !== 'run';
    if (paused) {
      spec.paused = true;
      obj.metadata.annotations = { ...obj.metadata.annotations, [PAUSED_ANNOTATION]: current };
    }
  }

  private async create(deployment: KubeObject): Promise<string | undefined> {
    try {
      const made = await this.deps.client.create(deployment);
      return (made.metadata as { uid?: string }).uid;
    } catch (err) {
      if (statusCode(err) === 409) return undefined; // made by an earlier Pier: the watch brings it
      throw err;
    }
  }

  private async applyIfChanged(s: ServiceState, obj: KubeObject): Promise<void> {
    const json = JSON.stringify(obj);
    if (s.applied.get(key(obj)) === json) return;
    await this.deps.client.apply(obj);
    s.applied.set(key(obj), json);
  }

  private async deleteOwned(service: string): Promise<void> {
    const name = kubeName(service);
    const { client } = this.deps;
    const ns = client.namespace;
    for (const del of [
      () => client.core.deleteNamespacedService({ name, namespace: ns }),
      () => client.core.deleteNamespacedSecret({ name: pullSecretName(service), namespace: ns }),
    ]) {
      try {
        await del();
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
    }
  }

  private async deletePod(service: string, pod: string): Promise<void> {
    try {
      await this.deps.client.core.deleteNamespacedPod({ name: pod, namespace: this.deps.client.namespace });
    } catch (err) {
      if (statusCode(err) !== 404) {
        this.deps.event({ service, type: 'Warning', reason: 'RestartFailed', message: apiMessage(err), instance: pod });
      }
    }
  }

  private translateConfig() {
    return { namespace: this.deps.client.namespace, defaultImage: this.deps.defaultImage, elasticNodes: this.elastic };
  }

  /** Lets unschedulable pods of an `eci` service onto elastic nodes, and marks elastic pods cheap to delete. */
  private burst(service: string): void {
    const mode = this.services.get(service)?.desired?.current.spec.metadata.burst_resource ?? 'none';
    if (mode === 'none' || !this.nodes?.healthy()) return;
    const elasticNodes = new Set(this.nodes.list().map((n) => n.metadata?.name ?? ''));
    this.burster.carryOut(service, burstActions(this.podsOf(service), mode, this.elastic, elasticNodes));
  }

  /** A watched object changed: tell the controller about its service, and settle removals. */
  private touched(obj: KubernetesObject | undefined): void {
    const services = obj
      ? [this.serviceOf(obj)].filter((x): x is string => x !== undefined)
      : [...this.services.keys()];
    for (const service of services) {
      const s = this.services.get(service);
      if (s && s.replacing.size > 0) {
        const live = new Set(this.podsOf(service).map((p) => p.metadata?.name));
        for (const id of s.replacing) if (!live.has(id)) s.replacing.delete(id);
      }
      this.burst(service);
      this.deps.changed(service);
    }
    for (const w of [...this.removeWaiters]) {
      if (!this.gone(w.service)) continue;
      this.removeWaiters.delete(w);
      w.resolve();
    }
  }

  private serviceOf(obj: KubernetesObject): string | undefined {
    const label = obj.metadata?.labels?.[LABELS.service] ?? obj.metadata?.labels?.['kubernetes.io/service-name'];
    return label ? this.byKubeName.get(label) : undefined;
  }

  /** A Kubernetes Event about one of the services becomes a Pier event, each occurrence once (events.ts). */
  private kubeEvent(e: CoreV1Event): void {
    const key = eventKey(e);
    if (this.seenEvents.has(key)) return;
    const event = platformEvent(
      e,
      {
        podService: (pod) => {
          const found = this.pods?.list().find((p) => p.metadata?.name === pod);
          return found ? this.serviceOf(found) : undefined;
        },
        deploymentService: (name) => this.byKubeName.get(name),
      },
      this.startedAt,
    );
    if (!event) return;
    this.seenEvents.add(key);
    if (this.seenEvents.size > 10_000) this.seenEvents.clear();
    this.deps.event(event);
  }
}

const key = (obj: KubeObject) => `${obj.kind}/${obj.metadata.name}`;

function servingPortOf(pod: V1Pod): number | undefined {
  const containers = pod.spec?.containers ?? [];
  const serving = containers.find((c) => c.name === 'serving') ?? containers[0];
  return serving?.ports?.[0]?.containerPort;
}
